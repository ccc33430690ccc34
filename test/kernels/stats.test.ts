// Kernel 1, fused statistics: the CPU path against PyTorch (fixture and reference JSON) and a
// float64 two-pass computed here; the GPU path against the CPU path on the same inputs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { cpuStats } from '../../kernels/src/cpu/stats.ts';
import { halfBitsTable } from '../../kernels/src/floatBits.ts';
import { emptyStats, mergeStats, summarizeStats, type Stats } from '../../kernels/src/stats.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { closeGpus, edgeCases, f32, gpuOrSkip, kernelFixture, normal } from './gpuEnv.ts';

after(closeGpus);

/** Values of any TensorData as float64 (the widening the kernels do). */
function values(x: TensorData): Float64Array {
  if (x.dtype === 'F32') return Float64Array.from(x.data);
  const bits = x.dtype === 'BF16' ? Uint32Array.from(x.data, (h) => h << 16) : Uint32Array.from(x.data, (h) => halfBitsTable()[h]!);
  return Float64Array.from(new Float32Array(bits.buffer));
}

/** Textbook float64 two-pass statistics, the reference of the CPU kernel. */
function naiveStats(x: TensorData): Stats {
  const v = values(x);
  const fin = v.filter((a) => Number.isFinite(a));
  const n = fin.length;
  const mean = fin.reduce((a, b) => a + b, 0) / n;
  let m2 = 0, m3 = 0, m4 = 0;
  for (const a of fin) {
    const d = a - mean;
    m2 += d * d; m3 += d * d * d; m4 += d * d * d * d;
  }
  const variance = m2 / n;
  let lo = Infinity, hi = -Infinity;
  for (const a of fin) {
    if (a < lo) lo = a;
    if (a > hi) hi = a;
  }
  return {
    numel: v.length,
    count: n,
    sum: n ? mean * n : 0,
    sumsq: fin.reduce((a, b) => a + b * b, 0),
    mean: n ? mean : NaN,
    std: Math.sqrt(variance),
    min: n ? lo + 0 : NaN,
    max: n ? hi + 0 : NaN,
    absmax: n ? Math.max(-lo, hi) : NaN,
    zeros: fin.filter((a) => a === 0).length,
    nan: v.filter((a) => Number.isNaN(a)).length,
    inf: v.filter((a) => a === Infinity || a === -Infinity).length,
    posinf: v.filter((a) => a === Infinity).length,
    neginf: v.filter((a) => a === -Infinity).length,
    skewness: variance > 0 ? m3 / n / variance ** 1.5 : NaN,
    kurtosis: variance > 0 ? m4 / n / variance ** 2 - 3 : NaN,
  };
}

const EXACT = ['numel', 'count', 'zeros', 'nan', 'inf', 'posinf', 'neginf', 'min', 'max', 'absmax'] as const;

/**
 * Tolerances. CPU vs float64 references: 1e-9 relative (both accumulate in float64, in different
 * orders). GPU vs CPU: the GPU sums each thread's slice in float32 about the slice's mean, so
 * mean within 1e-6 std, std within 1e-5 relative, skewness and kurtosis within 1e-4 (relative
 * to 1 + |g1| and 3 + |g2|). Subnormals may be flushed to zero in GPU arithmetic, hence an
 * absolute floor of 1e-37 on mean and std; counts, min, max and absmax are computed on bits and
 * must be exact on both.
 */
function assertStatsClose(actual: Stats, expected: Stats, what: string, rel: { mean: number; std: number; shape: number }): void {
  for (const k of EXACT) assert.equal(actual[k], expected[k], `${what}: ${k}`);
  // NaN figures (no finite element) contribute no tolerance.
  const std = expected.std || 0;
  const absMean = Math.abs(expected.mean) || 0;
  const scale = std + 1e-37;
  const close = (a: number, e: number, tol: number, k: string) => {
    if (Number.isNaN(e)) return assert.ok(Number.isNaN(a), `${what}: ${k} ${a} should be NaN`);
    assert.ok(Math.abs(a - e) <= tol, `${what}: ${k} ${a} vs ${e} (tolerance ${tol})`);
  };
  close(actual.mean, expected.mean, rel.mean * (scale + 1e-3 * absMean) + 1e-37, 'mean');
  close(actual.std, expected.std, rel.std * std + 1e-37, 'std');
  close(actual.sum, expected.sum, rel.mean * (scale + 1e-3 * absMean) * expected.count + 1e-37, 'sum');
  close(actual.sumsq, expected.sumsq, rel.std * 2 * expected.sumsq + 1e-37, 'sumsq');
  // Shape statistics of a tensor whose spread is subnormal are not comparable across backends.
  if (expected.std > 1e-30) {
    close(actual.skewness, expected.skewness, rel.shape * (1 + Math.abs(expected.skewness)), 'skewness');
    close(actual.kurtosis, expected.kurtosis, rel.shape * (3 + Math.abs(expected.kurtosis)), 'kurtosis');
  }
}

const CPU_VS_F64 = { mean: 1e-9, std: 1e-9, shape: 1e-9 };
const GPU_VS_CPU = { mean: 1e-6, std: 1e-5, shape: 1e-4 };

describe('CPU fused statistics', () => {
  test('equal PyTorch float64 on the fixture (F32 weight and moments, BF16 and F16 weight)', () => {
    for (const [name, t] of Object.entries(kernelFixture())) {
      const s = summarizeStats(cpuStats(t.x));
      const ref = t.stats;
      for (const k of ['numel', 'count', 'zeros', 'min', 'max', 'absmax'] as const) assert.equal(s[k], ref[k], `${name} ${k}`);
      for (const k of ['mean', 'std', 'sum', 'sumsq', 'skewness', 'kurtosis'] as const) {
        const e = ref[k] as number;
        assert.ok(Math.abs(s[k] - e) <= 1e-10 * (Math.abs(e) + (ref.std as number)), `${name} ${k}: ${s[k]} vs ${e}`);
      }
    }
  });

  for (const set of ['tiny-llama', 'tiny-llama-bf16']) {
    test(`equal reference/${set}-checkpoint-200.json for every weight`, () => {
      const ref = JSON.parse(readFileSync(resolve(`test/fixtures/reference/${set}-checkpoint-200.json`), 'utf8')) as {
        tensors: Record<string, { weight: Record<string, number> }>;
      };
      const tensors = readSafetensorsDir(resolve(`test/fixtures/${set}/checkpoint-200`));
      assert.equal(tensors.size, Object.keys(ref.tensors).length);
      for (const [name, r] of Object.entries(ref.tensors)) {
        const s = summarizeStats(cpuStats(tensors.get(name)!));
        const w = r.weight;
        for (const k of ['numel', 'zeros', 'min', 'max', 'absmax'] as const) assert.equal(s[k], w[k], `${name} ${k}`);
        assert.ok(Math.abs(s.mean - w.mean!) <= 1e-12 * w.std!, `${name} mean ${s.mean} vs ${w.mean}`);
        assert.ok(Math.abs(s.std - w.std!) <= 1e-10 * w.std!, `${name} std ${s.std} vs ${w.std}`);
      }
    });
  }

  test('equal a float64 two-pass on the edge cases', () => {
    for (const { name, x } of edgeCases()) assertStatsClose(summarizeStats(cpuStats(x)), naiveStats(x), name, CPU_VS_F64);
  });

  test('keep their digits where sums of powers would cancel (mean 1e4, std 1e-2; sorted data)', () => {
    const offset = normal(100000, 3, 1e4, 1e-2);
    assertStatsClose(summarizeStats(cpuStats(f32(offset))), naiveStats(f32(offset)), 'offset', CPU_VS_F64);
    // Sorted data: every block's mean is far from the previous one (the shift is recomputed).
    const sorted = normal(50000, 4, 3, 2).sort();
    assertStatsClose(summarizeStats(cpuStats(f32(sorted))), naiveStats(f32(sorted)), 'sorted', CPU_VS_F64);
  });

  test('count 16-bit patterns for large BF16/F16 tensors, with the per-element result', () => {
    for (const { name, x } of edgeCases().filter((c) => c.x.dtype !== 'F32' && c.x.data.length > 65536)) {
      let perElement = emptyStats();
      for (let a = 0; a < x.data.length; a += 10000) perElement = mergeStats(perElement, cpuStats(x, a, Math.min(x.data.length, a + 10000)));
      assertStatsClose(summarizeStats(cpuStats(x)), summarizeStats(perElement), name, CPU_VS_F64);
    }
  });

  test('merge across chunks to the statistics of the whole', () => {
    const x = normal(100003, 5, -2, 0.5);
    x[17] = NaN;
    x[99999] = -Infinity;
    const whole = summarizeStats(cpuStats(f32(x)));
    let acc = emptyStats();
    for (const cut of [[0, 1], [1, 4097], [4097, 60000], [60000, 100003]]) acc = mergeStats(acc, cpuStats(f32(x), cut[0], cut[1]));
    assertStatsClose(summarizeStats(acc), whole, 'chunks', CPU_VS_F64);
    // Merging with an empty partial changes nothing.
    assert.deepEqual(mergeStats(emptyStats(), cpuStats(f32(x))), cpuStats(f32(x)));
  });

  test('report NaN where a figure is undefined', () => {
    const empty = summarizeStats(cpuStats(f32([])));
    assert.equal(empty.numel, 0);
    assert.equal(empty.sum, 0);
    for (const k of ['mean', 'std', 'min', 'max', 'absmax', 'skewness', 'kurtosis'] as const) assert.ok(Number.isNaN(empty[k]), k);
    const constant = summarizeStats(cpuStats(f32([-0, -0, 0])));
    assert.equal(constant.std, 0);
    assert.ok(Number.isNaN(constant.skewness) && Number.isNaN(constant.kurtosis));
    assert.ok(Object.is(constant.min, 0) && Object.is(constant.max, 0), 'a -0 extreme is reported as 0');
    assert.equal(constant.zeros, 3);
    const onlyNan = summarizeStats(cpuStats(f32([NaN, Infinity])));
    assert.deepEqual([onlyNan.numel, onlyNan.count, onlyNan.nan, onlyNan.posinf], [2, 0, 1, 1]);
    assert.ok(Number.isNaN(onlyNan.mean));
  });

  test('kurtosis is excess kurtosis: about 0 for normal data, -1.2 for uniform', () => {
    assert.ok(Math.abs(summarizeStats(cpuStats(f32(normal(400000, 6)))).kurtosis) < 0.03);
    const uniform = Float32Array.from({ length: 100001 }, (_, i) => i / 100000);
    assert.ok(Math.abs(summarizeStats(cpuStats(f32(uniform))).kurtosis + 1.2) < 1e-4);
  });
});

describe('GPU fused statistics equal the CPU', () => {
  for (const [label, opts] of [
    ['one slab', {}],
    ['forced through many 4 KiB chunks', { maxChunkBytes: 4096 }],
  ] as const) {
    test(`edge cases, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const { name, x } of edgeCases()) {
        assertStatsClose(summarizeStats(await gpu.stats(x)), summarizeStats(cpuStats(x)), `${name} (${label})`, GPU_VS_CPU);
      }
    });

    test(`fixture tensors, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const [name, f] of Object.entries(kernelFixture())) {
        assertStatsClose(summarizeStats(await gpu.stats(f.x)), summarizeStats(cpuStats(f.x)), `${name} (${label})`, GPU_VS_CPU);
      }
    });
  }

  test('a tensor of a million elements over several full slabs', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1 << 20 });
    if (!gpu) return;
    const x = f32(normal(1_000_003, 9, 0.25, 4));
    assertStatsClose(summarizeStats(await gpu.stats(x)), summarizeStats(cpuStats(x)), '1M', GPU_VS_CPU);
  });
});

/** Every F32/BF16 tensor of a safetensors file or shard set, as TensorData (tiny reader for tests). */
function readSafetensorsDir(dir: string): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  const files = ['model.safetensors', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolve(dir, f));
    } catch {
      continue;
    }
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    for (const [name, e] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const raw = bytes.subarray(8 + headerLen + e.data_offsets[0], 8 + headerLen + e.data_offsets[1]);
      const copy = new Uint8Array(raw).buffer;
      if (e.dtype === 'F32') out.set(name, { dtype: 'F32', data: new Float32Array(copy) });
      else if (e.dtype === 'BF16') out.set(name, { dtype: 'BF16', data: new Uint16Array(copy) });
      else throw new Error(`unexpected dtype ${e.dtype} in ${f}`);
    }
  }
  return out;
}
