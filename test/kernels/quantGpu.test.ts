// Kernels 4-5 on WebGPU (quantize -> dequantize error, factorized second moment) against the CPU
// references on the same inputs: the edge cases of gpuEnv.ts, crafted values on and next to every
// decision threshold, subnormal scales, every codebook kind and width, every normalization (rank-1
// and its rank < 2 fallback included), BF16/F16 bits, real Adam moments, and many small slabs.
//
// Tolerances (GPU against CPU), from the design of gpuQuantPasses.ts:
// - x_hat (`dequantized`): bit-equal, NaN where x is not finite. Quantization decides every slot on
//   the exact float32 quotient and rounds products exactly; the factors of the factorized estimate
//   come from 64-bit fixed-point sums, as good as the CPU's float64 ones.
// - count, nonfinite, zero_frac, bits_per_element, scheme, max_abs_err: exact (the largest errors
//   are recomputed on the host with the CPU formula).
// - rel_err: 1e-5 relative; update_rel_err: 1e-5 relative + 1e-7 absolute (the CPU's sqrt(T) * sqrt(s)
//   shortcut for sqrt(x_hat) is itself that far from the root of x_hat). The GPU sums each thread's
//   terms in float32, 64 to a chain, then the chains: some 80 roundings of 2^-24 at most on positive
//   terms, 5e-6. Measured on llvmpipe: 2.5e-7 (rel_err, 5000 equal terms), 2.8e-7 (update_rel_err);
//   the test prints its worst cases.
// - Factorization only: an estimate below the float32 normal range may be one unit (2^-149) off
//   (see compareFactored).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Backend } from '../../kernels/src/backend.ts';
import { CODEBOOK_KINDS, makeCodebook } from '../../kernels/src/codebooks.ts';
import { CpuBackend } from '../../kernels/src/cpu/cpuBackend.ts';
import type { QuantErrorOptions, QuantErrorResult } from '../../kernels/src/cpu/quantError.ts';
import { factorize } from '../../kernels/src/cpu/quantFactored.ts';
import { float32Values } from '../../kernels/src/float32View.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { gpuFactoredError } from '../../kernels/src/webgpu/gpuFactored.ts';
import { gpuQuantError } from '../../kernels/src/webgpu/gpuQuant.ts';
import type { WebGpuBackend } from '../../kernels/src/webgpu/webgpuBackend.ts';
import { closeGpus, edgeCases, f32, gpuOrSkip, normal, rng } from './gpuEnv.ts';
import { fixtureTensors, readF32 } from './quantFixtures.ts';

after(closeGpus);

const cpu = new CpuBackend({ threads: 1 });
after(() => cpu.dispose());

const REL_ERR_TOL = 1e-6;
const UPDATE_TOL = 1e-5;
const UPDATE_FLOOR = 1e-7;
/** Worst relative differences seen, printed at the end (the margins behind the tolerances). */
const worst = { rel_err: 0, update_rel_err: 0 };
after(() => console.log(`# worst GPU/CPU differences: rel_err ${worst.rel_err.toExponential(2)}, update_rel_err ${worst.update_rel_err.toExponential(2)}`));

function relDiff(a: number, b: number): number {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return 0; // NaN: e.g. factors overflowing float32
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

function assertClose(got: QuantErrorResult, want: QuantErrorResult, what: string): void {
  for (const k of ['count', 'nonfinite', 'zero_frac', 'bits_per_element', 'scheme', 'max_abs_err'] as const) {
    assert.equal(got[k], want[k], `${what}: ${k} ${got[k]} vs CPU ${want[k]}`);
  }
  const r = relDiff(got.rel_err, want.rel_err);
  worst.rel_err = Math.max(worst.rel_err, r);
  assert.ok(r <= REL_ERR_TOL, `${what}: rel_err ${got.rel_err} vs CPU ${want.rel_err}`);
  assert.equal(got.update_rel_err === undefined, want.update_rel_err === undefined, `${what}: update_rel_err presence`);
  if (want.update_rel_err !== undefined) {
    // The floor: the CPU takes sqrt(x_hat) as sqrt(T) * sqrt(s) (or sqrt(r_i / sum r) * sqrt(c_j)),
    // within a float32 ulp of the root of x_hat itself, which the GPU uses: h(x_hat) differs by up to
    // ~6e-8 of itself even where x_hat = x. (Subnormal v flushed in the GPU's roots move h by 1e-13.)
    const diff = Math.abs(got.update_rel_err! - want.update_rel_err);
    if (want.update_rel_err > 1e-6) worst.update_rel_err = Math.max(worst.update_rel_err, relDiff(got.update_rel_err!, want.update_rel_err));
    assert.ok(diff <= UPDATE_TOL * want.update_rel_err + UPDATE_FLOOR, `${what}: update_rel_err ${got.update_rel_err} vs CPU ${want.update_rel_err}`);
  }
}

/** Bit-equal float32 arrays (any NaN equals any NaN); names the first difference. */
function assertSameBits(got: Float32Array, want: Float32Array, what: string): void {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < w.length; i++) {
    if (g[i] === w[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    assert.fail(`${what}: x_hat[${i}] = ${got[i]} (0x${g[i]!.toString(16)}) vs CPU ${want[i]} (0x${w[i]!.toString(16)})`);
  }
}

type QuantRun = (x: TensorData, shape: number[], opts: QuantErrorOptions) => Promise<QuantErrorResult>;

/** Runs one quantization on the GPU and the CPU, x_hat included, and compares. */
async function compareQuant(gpu: Backend | QuantRun, x: TensorData, shape: number[], opts: QuantErrorOptions, what: string): Promise<QuantErrorResult> {
  const run: QuantRun = typeof gpu === 'function' ? gpu : (...a) => gpu.quantError(...a);
  const n = x.data.length;
  const a = new Float32Array(n), b = new Float32Array(n);
  const got = await run(x, shape, { ...opts, dequantized: a });
  const want = await cpu.quantError(x, shape, { ...opts, dequantized: b });
  assertClose(got, want, what);
  assertSameBits(a, b, what);
  // Without the dequantized output the kernel takes another pipeline: same numbers.
  assert.deepEqual(await run(x, shape, opts), got, `${what}: without x_hat`);
  return got;
}

/**
 * Elements on and next to the decision thresholds of T: blocks of 64 in which one element sets the
 * scale (so x / s lands where we aim) and the others sit on a midpoint times s or a few ulps off it;
 * scales of every size, subnormal ones included.
 */
function thresholdProbe(T: Float32Array, seed: number): Float32Array {
  const r = rng(seed);
  const blocks = 400;
  const x = new Float32Array(blocks * 64);
  const u = new Uint32Array(x.buffer);
  for (let b = 0; b < blocks; b++) {
    const s = Math.fround(b % 50 === 0 ? 3e-42 * (1 + r()) : 10 ** (r() * 60 - 30));
    x[b * 64] = s;
    for (let j = 1; j < 64; j++) {
      const k = Math.floor(r() * (T.length - 1));
      x[b * 64 + j] = Math.fround(((T[k]! + T[k + 1]!) / 2) * s);
      u[b * 64 + j] = (u[b * 64 + j]! + Math.floor(r() * 13) - 6) >>> 0;
    }
  }
  return x;
}

/**
 * Factorization: x_hat bit-equal, except that an estimate below the float32 normal range may be one
 * unit (2^-149) off: there the GPU rounds hi * c_j, not (hi + lo) * c_j (gpuQuantPasses.ts). Such a
 * unit can be a large share of a subnormal error, so rel_err then gets 1e-3.
 */
async function compareFactored(gpu: Backend, x: TensorData, shape: number[], what: string, secondMoment?: boolean): Promise<void> {
  const n = x.data.length;
  const a = new Float32Array(n), b = new Float32Array(n);
  const got = await gpu.factoredError(x, shape, { dequantized: a, secondMoment });
  const want = await cpu.factoredError(x, shape, { dequantized: b, secondMoment });
  const g = new Int32Array(a.buffer), w = new Int32Array(b.buffer);
  let subnormalUnits = 0;
  for (let i = 0; i < n; i++) {
    if (g[i] === w[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue;
    const subnormal = Math.abs(b[i]!) < 2 ** -126 && Math.abs(g[i]! - w[i]!) === 1;
    assert.ok(subnormal, `${what}: x_hat[${i}] = ${a[i]} vs CPU ${b[i]}`);
    subnormalUnits++;
  }
  if (subnormalUnits === 0) return assertClose(got, want, what);
  assert.ok(relDiff(got.rel_err, want.rel_err) < 1e-3, `${what}: rel_err ${got.rel_err} vs CPU ${want.rel_err}`);
  assertClose({ ...got, rel_err: want.rel_err, max_abs_err: want.max_abs_err }, want, what);
}

/** A 2-D shape for n elements: rows x cols with the most balanced divisor up to 64 rows, else 1 x n. */
function matrixShape(n: number): number[] {
  for (let r = Math.min(64, Math.floor(Math.sqrt(n))); r > 1; r--) if (n % r === 0) return [r, n / r];
  return [1, n];
}

/** |x| as the same dtype (second moments are non-negative). */
function magnitude(x: TensorData): TensorData {
  if (x.dtype === 'F32') return f32(Float32Array.from(x.data, Math.abs));
  return { dtype: x.dtype, data: Uint16Array.from(x.data, (h) => h & 0x7fff) };
}

/**
 * One slab, and many small ones (resident for both passes, or uploaded again for each), which cut
 * blocks, rows and pass-1 pieces anywhere. The small-slab runs skip the largest edge case: at a round
 * trip per slab and pass, llvmpipe would take minutes on it.
 */
const SLAB_CONFIGS = [
  { label: 'one slab', opts: {}, cases: edgeCases },
  { label: 'many 16 KiB slabs, resident', opts: { maxChunkBytes: 16384 }, cases: () => edgeCases().filter((c) => c.x.data.length <= 100003) },
  { label: 'many 32 KiB slabs, uploaded for each pass', opts: { maxChunkBytes: 32768, residentBytes: 0 }, cases: () => edgeCases().filter((c) => c.x.data.length <= 100003) },
];

const DE4 = makeCodebook('de-signed').values;
const DEU8 = makeCodebook('de-unsigned', 8).values;
const LIN3S = makeCodebook('linear-signed', 3).values;
const LIN0 = makeCodebook('linear-nozero').values;
const DE0 = makeCodebook('de0').values;

describe('GPU quantization error equals the CPU', () => {
  for (const { label, opts, cases } of SLAB_CONFIGS) {
    test(`edge cases, every normalization (${label})`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const { name, x } of cases()) {
        const n = x.data.length;
        const v = magnitude(x);
        await compareQuant(gpu, x, [n], { codebook: DE4, normalization: { kind: 'block', blockSize: 128 } }, `${name}: block128 DE4`);
        await compareQuant(gpu, x, [n], { codebook: LIN3S, normalization: { kind: 'block', blockSize: 7 } }, `${name}: block7 linear-signed 3-bit`);
        await compareQuant(gpu, v, [n], { codebook: DEU8, normalization: { kind: 'tensor' }, secondMoment: true }, `${name}: |x| tensor DE-unsigned 8-bit`);
        await compareQuant(gpu, v, matrixShape(n), { codebook: LIN0, normalization: { kind: 'rank1' }, secondMoment: true }, `${name}: |x| rank-1 linear-nozero`);
        // The GPU path itself takes these calls (null would mean a quiet CPU fallback).
        const rt = (gpu as WebGpuBackend).runtime;
        assert.notEqual(await gpuQuantError(rt, v, matrixShape(n), { codebook: LIN0, normalization: { kind: 'rank1' } }), null, `${name}: on the GPU`);
        const fallback = await compareQuant(gpu, v, [n], { codebook: DE0, normalization: { kind: 'rank1' }, secondMoment: true }, `${name}: |x| rank-1 of a vector`);
        assert.equal(fallback.scheme, 'block128');
        // Signed values as a second moment: the CPU's h sums turn NaN and its ratio reads 0.
        await compareQuant(gpu, x, [n], { codebook: DE4, normalization: { kind: 'block', blockSize: 2048 }, secondMoment: true }, `${name}: signed x as a second moment`);
      }
    });
  }

  test('every codebook kind and width, with x on and next to every decision threshold', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    for (const kind of CODEBOOK_KINDS) {
      for (const bits of [2, 3, 4, 8]) {
        const T = makeCodebook(kind, bits).values;
        const x = f32(thresholdProbe(T, bits));
        await compareQuant(gpu, x, [x.data.length], { codebook: T, normalization: { kind: 'block', blockSize: 64 } }, `${kind}${bits} at thresholds`);
        await compareQuant(gpu, x, [x.data.length / 64, 64], { codebook: T, normalization: { kind: 'rank1' } }, `${kind}${bits} rank-1 at thresholds`);
      }
    }
  });

  // Where f32 division is only 2.5-ulp accurate or subnormals are flushed (hardware GPUs), elements
  // near a threshold, subnormal ones and extreme scales take integer paths. llvmpipe divides exactly
  // and keeps subnormals, so force those paths everywhere and check them against the CPU.
  test('the integer division and multiplication paths, forced for every element', async (t) => {
    const gpu = (await gpuOrSkip(t)) as WebGpuBackend | undefined;
    if (!gpu) return;
    const exact: QuantRun = async (x, shape, opts) => (await gpuQuantError(gpu.runtime, x, shape, opts, { forceExact: true }))!;
    for (const kind of CODEBOOK_KINDS) {
      for (const bits of [2, 4, 8]) {
        const T = makeCodebook(kind, bits).values;
        const x = f32(thresholdProbe(T, 10 + bits));
        await compareQuant(exact, x, [x.data.length], { codebook: T, normalization: { kind: 'block', blockSize: 64 } }, `${kind}${bits} at thresholds, integer paths`);
      }
    }
    for (const { name, x } of edgeCases()) {
      const n = x.data.length;
      await compareQuant(exact, x, [n], { codebook: DE4, normalization: { kind: 'block', blockSize: 128 } }, `${name}: block128 DE4, integer paths`);
      await compareQuant(exact, magnitude(x), matrixShape(n), { codebook: DEU8, normalization: { kind: 'rank1' }, secondMoment: true }, `${name}: rank-1 DE-unsigned 8-bit, integer paths`);
    }
  });

  test('all-zero blocks, rows and columns; NaN-only blocks; ties to the lower entry', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    const rows = 40, cols = 33;
    const x = normal(rows * cols, 9);
    for (let j = 0; j < cols; j++) x[5 * cols + j] = 0; // a zero row
    for (let i = 0; i < rows; i++) x[i * cols + 7] = i % 2 ? 0 : -0; // a zero column
    for (let j = 0; j < cols; j++) x[20 * cols + j] = NaN; // a NaN row
    x[30 * cols + 3] = Infinity;
    await compareQuant(gpu, f32(x), [rows, cols], { codebook: LIN0, normalization: { kind: 'rank1' }, secondMoment: false }, 'rank-1 with zero and NaN rows');
    await compareQuant(gpu, f32(x), [rows * cols], { codebook: DE4, normalization: { kind: 'block', blockSize: 33 } }, 'block33 with zero and NaN blocks');
    // Zero against a signed codebook without 0: a tie of -1/15 and 1/15, which goes to the lower.
    const zeros = new Float32Array(5000);
    zeros[17] = 1;
    const r = await compareQuant(gpu, f32(zeros), [5000], { codebook: makeCodebook('linear-signed').values, normalization: { kind: 'tensor' }, secondMoment: true }, 'ties at 0');
    assert.equal(r.update_rel_err, 0); // negative x_hat: h(x_hat) is NaN on the CPU, whose ratio then reads 0
  });

  test('real Adam moments: the 4-bit recipe and the zero-point schemes (F32 and BF16 bits)', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1 << 16 });
    if (!gpu) return;
    const tensors = (await fixtureTensors('tiny-llama-bf16', 'checkpoint-200')).filter((p) => p.weight.numel > 4096);
    assert.ok(tensors.length >= 5);
    for (const p of tensors) {
      const m = await readF32(p.exp_avg);
      const v = await readF32(p.exp_avg_sq);
      const w = await readF32(p.weight);
      const bf16: TensorData = { dtype: 'BF16', data: Uint16Array.from(new Uint32Array(w.buffer, w.byteOffset, w.length), (b) => b >>> 16) };
      await compareQuant(gpu, f32(m), p.shape, { codebook: DE4, normalization: { kind: 'block', blockSize: 128 } }, `${p.name} exp_avg B128 DE`);
      await compareQuant(gpu, f32(v), p.shape, { codebook: LIN0, normalization: { kind: 'rank1' }, secondMoment: true }, `${p.name} exp_avg_sq rank-1 linear-nozero`);
      await compareQuant(gpu, f32(v), p.shape, { codebook: makeCodebook('de-unsigned').values, normalization: { kind: 'block', blockSize: 128 }, secondMoment: true }, `${p.name} exp_avg_sq B128 DE-unsigned`);
      await compareQuant(gpu, f32(v), p.shape, { codebook: DE0, normalization: { kind: 'block', blockSize: 128 }, secondMoment: true }, `${p.name} exp_avg_sq B128 DE-0`);
      await compareQuant(gpu, bf16, p.shape, { codebook: DE4, normalization: { kind: 'block', blockSize: 2048 } }, `${p.name} BF16 weight B2048 DE`);
      await compareFactored(gpu, f32(v), p.shape, `${p.name} exp_avg_sq factored`);
    }
  });

  test('a codebook of tiny span (a grid finer than int32 cells on the CPU) and one with duplicates', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    const x = f32(normal(20000, 8));
    const tiny = Float32Array.from({ length: 16 }, (_, k) => (k - 7) * 1e-30);
    await compareQuant(gpu, x, [20000], { codebook: tiny, normalization: { kind: 'block', blockSize: 100 } }, 'span 1.5e-29');
    const dup = Float32Array.from([-1, -0.5, -0.5, 0, 0, 0, 0.25, 1]);
    await compareQuant(gpu, x, [200, 100], { codebook: dup, normalization: { kind: 'rank1' } }, 'duplicated entries');
  });

  test('a codebook of more than 256 distinct entries runs on the CPU, with the same answers', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    const T = Float32Array.from({ length: 512 }, (_, k) => -1 + (2 * k) / 511);
    const x = f32(normal(10000, 3));
    const opts: QuantErrorOptions = { codebook: T, normalization: { kind: 'block', blockSize: 128 } };
    assert.deepEqual(await gpu.quantError(x, [10000], opts), await cpu.quantError(x, [10000], opts));
  });

  test('bad arguments are refused with the CPU messages', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    const x = f32(new Float32Array(8));
    await assert.rejects(gpu.quantError(x, [3, 3], { codebook: DE4, normalization: { kind: 'tensor' } }), /shape \[3, 3\] has 9 elements, the data 8/);
    await assert.rejects(gpu.quantError(x, [8], { codebook: DE4, normalization: { kind: 'block', blockSize: 0 } }), /block size/);
    await assert.rejects(gpu.quantError(x, [8], { codebook: DE4.subarray(0, 5), normalization: { kind: 'tensor' } }), /2\^b entries/);
    await assert.rejects(gpu.quantError(x, [8], { codebook: DE4, normalization: { kind: 'tensor' }, dequantized: new Float32Array(3) }), /dequantized buffer/);
    await assert.rejects(gpu.factoredError(x, [3, 3]), /does not match 8 elements/);
    await assert.rejects(gpu.factoredError(x, [8], { dequantized: new Float32Array(3) }), /dequantized buffer/);
  });
});

describe('GPU factorized second moment equals the CPU', () => {
  for (const { label, opts, cases } of SLAB_CONFIGS) {
    test(`edge cases as vectors and matrices (${label})`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const { name, x } of cases()) {
        const n = x.data.length;
        const v = magnitude(x);
        await compareFactored(gpu, v, [n], `${name}: |x| as a vector`);
        await compareFactored(gpu, v, matrixShape(n), `${name}: |x| as ${matrixShape(n).join(' x ')}`);
        // Sums past float32 make Inf/NaN factors, which the CPU path handles; the GPU takes the rest.
        const f = factorize(float32Values(v), matrixShape(n));
        const overflow = !Number.isFinite(f.total) || !f.col.every(Number.isFinite);
        const onGpu: boolean = (await gpuFactoredError((gpu as WebGpuBackend).runtime, v, matrixShape(n))) !== null;
        assert.equal(onGpu, !overflow, `${name}: on the GPU`);
        await compareFactored(gpu, x, matrixShape(n), `${name}: signed, no update error`, false);
      }
    });
  }

  test('rows longer than a pass-1 piece, many short rows, a 3-D shape, over 2^20 elements', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    const v = Float32Array.from(normal(240000, 4), (a) => a * a * 1e-8);
    for (const shape of [[4, 60000], [60000, 4], [30, 80, 100], [1, 240000], [240000, 1]]) {
      await compareFactored(gpu, f32(v), shape, `shape [${shape.join(', ')}]`);
      await compareQuant(gpu, f32(v), shape, { codebook: LIN0, normalization: { kind: 'rank1' }, secondMoment: true }, `rank-1 [${shape.join(', ')}]`);
    }
    // Over 2^20 elements: the per-tensor scale and a vector's mean combine several segments.
    const big = Float32Array.from(normal(1_300_001, 6), (a) => a * a);
    await compareQuant(gpu, f32(big), [big.length], { codebook: DEU8, normalization: { kind: 'tensor' }, secondMoment: true }, 'per-tensor scale, 1.3M elements');
    await compareFactored(gpu, f32(big), [big.length], 'vector mean, 1.3M elements');
  });
});
