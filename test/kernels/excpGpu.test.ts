// Kernel 8 on WebGPU against the CPU reference and PyTorch: kept counts, masks, the pruned residual
// (bit for bit) and the float32 thresholds exactly; the means mean(v), mean(|m|) to 1e-12 relative
// (integer-accumulated on the GPU, see fixedSum.wgsl; the CPU sums in float64 in order).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Backend } from '../../kernels/src/backend.ts';
import { CpuBackend } from '../../kernels/src/cpu/cpuBackend.ts';
import type { ExcpOptions } from '../../kernels/src/cpu/excp.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { closeGpus, edgeCases, f32, gpuOrSkip, normal, randomBits16, RESIDENCY_LAYOUTS } from './gpuEnv.ts';
import { assertClose, assertSameBits, worst } from './gpuTwinInputs.ts';
import { fixtureTensors, readF32, reference } from './quantFixtures.ts';

after(closeGpus);
after(() => console.log(`# worst relative difference of the means: ${JSON.stringify(Object.fromEntries(worst))}`));

const cpu = new CpuBackend({ threads: 1 });
const MEAN_REL = 1e-12;

type Quad = { w: TensorData; r: TensorData; m?: TensorData; v?: TensorData };

async function assertSameStep(gpu: Backend, q: Quad, opts: ExcpOptions, what: string) {
  const g = await gpu.excpStep(q.w, q.r, q.m, q.v, opts);
  const c = await cpu.excpStep(q.w, q.r, q.m, q.v, opts);
  assert.deepEqual([g.numel, g.keptW, g.keptM, g.thresholdW, g.thresholdM], [c.numel, c.keptW, c.keptM, c.thresholdW, c.thresholdM], `${what}: counts and thresholds`);
  assert.ok(Object.is(g.medianAbsResidual, c.medianAbsResidual) || g.medianAbsResidual === c.medianAbsResidual, `${what}: median ${g.medianAbsResidual} vs ${c.medianAbsResidual}`);
  for (const k of ['meanV', 'meanAbsM'] as const) {
    assertClose(g[k], c[k], MEAN_REL, `${what}: ${k}`);
    if (Number.isFinite(c[k]) && c[k] !== 0) worst.set(k, Math.max(worst.get(k) ?? 0, Math.abs(g[k] - c[k]) / Math.abs(c[k])));
  }
  assertSameBits(g.residual, c.residual, `${what}: residual`);
  assert.ok(Buffer.from(g.weightMask).equals(Buffer.from(c.weightMask)), `${what}: weight masks differ`);
  assert.equal(g.momentMask === undefined, c.momentMask === undefined, `${what}: moment mask presence`);
  if (c.momentMask) assert.ok(Buffer.from(g.momentMask!).equals(Buffer.from(c.momentMask)), `${what}: moment masks differ`);
  return g;
}

const bf16 = (x: Float32Array): TensorData => ({ dtype: 'BF16', data: Uint16Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length), (b) => b >>> 16) });

/** A step's four tensors derived from one edge case (r close to w, m and v of their own scale). */
function quadFrom(x: TensorData, seed: number): Quad {
  const n = x.data.length;
  if (x.dtype !== 'F32') {
    return { w: x, r: { dtype: x.dtype, data: randomBits16(n, seed) }, m: { dtype: x.dtype, data: randomBits16(n, seed + 1) }, v: { dtype: x.dtype, data: randomBits16(n, seed + 2) } };
  }
  const noise = normal(n, seed, 0, 1e-3);
  const r = Float32Array.from(x.data, (a, i) => a + noise[i]! * Math.abs(a));
  const m = normal(n, seed + 1, 0, 1e-3);
  const v = Float32Array.from(normal(n, seed + 2), (a) => a * a * 1e-7);
  return { w: x, r: f32(r), m: f32(m), v: f32(v) };
}

describe('GPU ExCP step equals the CPU', () => {
  for (const [label, opts] of RESIDENCY_LAYOUTS) {
    test(`fixture series: kept counts equal PyTorch's, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const [set, ckpt, prevCkpt] of [['tiny-llama', 'checkpoint-200', 'checkpoint-100'], ['tiny-llama-bf16', 'checkpoint-200', 'checkpoint-100']] as const) {
        const ref = reference(set, ckpt);
        const now = await fixtureTensors(set, ckpt);
        const prev = await fixtureTensors(set, prevCkpt);
        let keptW = 0, keptM = 0;
        for (let i = 0; i < now.length; i++) {
          const q = { w: f32(await readF32(now[i]!.weight)), r: f32(await readF32(prev[i]!.weight)), m: f32(await readF32(now[i]!.exp_avg)), v: f32(await readF32(now[i]!.exp_avg_sq)) };
          const g = await assertSameStep(gpu, q, {}, `${set} ${now[i]!.name}`);
          const want = ref.tensors[now[i]!.name]!.excp_default!;
          assert.deepEqual([g.keptW, g.keptM], [want.kept_w, want.kept_m], `${now[i]!.name} against PyTorch`);
          keptW += g.keptW;
          keptM += g.keptM!;
          // BF16 weights (exactly the values the reader upcast) go up as raw bits
          if (set === 'tiny-llama-bf16') await assertSameStep(gpu, { ...q, w: bf16(q.w.data as Float32Array), r: bf16(q.r.data as Float32Array) }, {}, `${now[i]!.name} as BF16`);
        }
        assert.deepEqual([keptW, keptM], [ref.excp_default_total!.kept_w, ref.excp_default_total!.kept_m], `${set} totals`);
      }
    });

    test(`edge cases (NaN, Inf, subnormals, near-max, 16-bit), ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const [i, { name, x }] of edgeCases().entries()) {
        const q = quadFrom(x, 100 + i);
        await assertSameStep(gpu, q, {}, name);
        await assertSameStep(gpu, { w: q.w, r: q.r, v: q.v }, { alpha: 1e-3 }, `${name} without m`);
        await assertSameStep(gpu, { w: q.w, r: q.r, m: q.m }, { weightThreshold: 1e-3, beta: 1 }, `${name} with a given weight threshold`);
      }
    });
  }

  test('float32 subtraction corner cases: subnormal results, overflow, infinities, flushed operands', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    const tiny = 2 ** -126;
    const pairs: Array<[number, number]> = [
      [1e-38, 1.1e-38], [1e-45, -1e-45], [tiny, tiny * (1 - 2 ** -23)], [-tiny, 3e-39], [2 ** -60, 2 ** -60 + 2 ** -83],
      [2 ** -61, 2 ** -61 * 1.5], [3e-30, 3e-30 * (1 + 2 ** -22)], [1, 1e-40], [1e-40, 1], [2 ** -59, 1e-44],
      [3e38, -3e38], [-3e38, 3e38], [1.7e38, -1.7e38], [3.4e38, 3.4e38], [3.4e38, 1e-30], [3.4e38, 2e38], [-3.4e38, 1],
      [Infinity, Infinity], [Infinity, -Infinity], [-Infinity, 5], [5, Infinity], [NaN, 1], [1, NaN], [0, -0], [-0, 0], [0, 0],
      [1.5, 1.5], [1, 1 + 2 ** -23], [123.456, -0.001],
    ];
    const w = Float32Array.from(pairs, (p) => p[0]);
    const r = Float32Array.from(pairs, (p) => p[1]);
    // a negative threshold keeps every non-NaN residual: the residual is dW itself
    const g = await assertSameStep(gpu, { w: f32(w), r: f32(r) }, { weightThreshold: -1 }, 'corner cases');
    assert.equal(g.residual[0], Math.fround(Math.fround(1e-38) - Math.fround(1.1e-38)));
    assert.ok(g.residual[0] !== 0 && Math.abs(g.residual[0]!) < tiny, 'a subnormal difference is not flushed');
    assert.deepEqual(Array.from(g.residual.subarray(10, 12)), [Infinity, -Infinity]);
  });

  test('options: given median, mixed dtypes, zero moments, empty', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1 << 16 });
    if (!gpu) return;
    const q = quadFrom(f32(normal(100_003, 51, 0, 0.02)), 52);
    await assertSameStep(gpu, q, { medianAbsResidual: 1e-5, alpha: 2e-5, beta: 3 }, 'given median');
    const half = (x: TensorData): TensorData => bf16(x.data as Float32Array);
    const f16: TensorData = { dtype: 'F16', data: randomBits16(100_003, 53) };
    await assertSameStep(gpu, { w: half(q.w), r: q.r, m: f16, v: half(q.v!) }, {}, 'BF16 w, F32 r, F16 m, BF16 v');
    const zeros = f32(new Float32Array(100_003));
    const z = await assertSameStep(gpu, { w: q.w, r: q.r, m: zeros, v: zeros }, {}, 'zero moments');
    assert.equal(z.keptM, 0); // |m| > 0 never holds
    const e = await gpu.excpStep(f32([]), f32([]), f32([]), f32([]));
    assert.deepEqual([e.keptW, e.keptM, e.thresholdW], [0, 0, 0]);
    await assert.rejects(gpu.excpStep(f32([1, 2, 3]), f32([1, 2]), undefined, undefined), /reference has 2 elements, the weights 3/);
    await assert.rejects(gpu.excpStep(f32([1, 2, 3]), f32([1, 2, 3]), undefined, undefined), /needs exp_avg_sq/);
  });

  test('a million elements over several 1 MiB slabs, resident and streamed', async (t) => {
    for (const opts of [{ maxChunkBytes: 1 << 20 }, { maxChunkBytes: 1 << 20, residentBytes: 0 }]) {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      const q = quadFrom(f32(normal(1_000_003, 61, 0, 0.02)), 62);
      await assertSameStep(gpu, q, {}, `1M ${JSON.stringify(opts)}`);
    }
  });
});
