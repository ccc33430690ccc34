// Kernel 2, histograms: the CPU path against PyTorch (fixture) and a float64 classification written
// here; the GPU path equal to the CPU path, count for count.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cpuHistogram } from '../../kernels/src/cpu/histogram.ts';
import { halfBitsTable } from '../../kernels/src/floatBits.ts';
import { emptyHistogram, histogramTables, mergeHistograms, type Histogram, type HistogramSpec } from '../../kernels/src/histogram.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { closeGpus, edgeCases, f32, gpuOrSkip, kernelFixture, normal } from './gpuEnv.ts';

after(closeGpus);

function values(x: TensorData): Float64Array {
  if (x.dtype === 'F32') return Float64Array.from(x.data);
  const bits = x.dtype === 'BF16' ? Uint32Array.from(x.data, (h) => h << 16) : Uint32Array.from(x.data, (h) => halfBitsTable()[h]!);
  return Float64Array.from(new Float32Array(bits.buffer));
}

/**
 * The definition, element by element in float64: y = x or 1/(sqrt(x)+1e-6); bin i holds
 * edges[i] <= t < edges[i+1] (t = y, or log10|y| compared as |y| >= 10^edge), the last bin also t == hi.
 */
function naiveHistogram(x: TensorData, spec: HistogramSpec): Omit<Histogram, 'spec' | 'edges'> {
  const n = spec.bins;
  const w = (spec.hi - spec.lo) / n;
  const edge = (i: number) => (i === n ? spec.hi : spec.lo + i * w);
  const log = spec.scale === 'log10abs';
  const yEdge = (i: number) => (log ? 10 ** edge(i) : edge(i));
  const counts = new Float64Array(n);
  let below = 0, above = 0, zeros = 0, nan = 0;
  for (const v of values(x)) {
    let y = v;
    if (spec.transform === 'adam-update') {
      if (!(v >= 0)) {
        nan++;
        continue;
      }
      y = 1 / (Math.sqrt(v) + 1e-6);
    }
    if (Number.isNaN(y)) {
      nan++;
      continue;
    }
    if (log) {
      y = Math.abs(y);
      if (y === 0) {
        zeros++;
        continue;
      }
    }
    if (y < yEdge(0)) below++;
    else if (y > yEdge(n)) above++;
    else {
      let i = Math.min(n - 1, Math.floor((log ? Math.log10(y) - spec.lo : y - spec.lo) / w));
      while (i > 0 && y < yEdge(i)) i--;
      while (i < n - 1 && y >= yEdge(i + 1)) i++;
      counts[i]++;
    }
  }
  return { counts, below, above, zeros, nan, total: values(x).length };
}

function assertSameCounts(a: Omit<Histogram, 'spec' | 'edges'>, b: Omit<Histogram, 'spec' | 'edges'>, what: string): void {
  assert.deepEqual(Array.from(a.counts), Array.from(b.counts), `${what}: bins`);
  assert.deepEqual([a.below, a.above, a.zeros, a.nan, a.total], [b.below, b.above, b.zeros, b.nan, b.total], `${what}: below, above, zeros, nan, total`);
}

/** Specs every input is binned with: few and many bins, both scales, with and without h. */
const SPECS: HistogramSpec[] = [
  { scale: 'linear', bins: 7, lo: -1, hi: 2 },
  { scale: 'linear', bins: 4096, lo: -3, hi: 3 },
  { scale: 'log10abs', bins: 4096, lo: -45, hi: 39 },
  { scale: 'log10abs', bins: 100, lo: -9, hi: -3 },
  { scale: 'log10abs', bins: 64, lo: 0, hi: 6.5, transform: 'adam-update' },
  // No edge at h(0) = 1e6 exactly: there float64 rounding of h, in the reference, decides.
  { scale: 'linear', bins: 50, lo: 0, hi: 2.1e6, transform: 'adam-update' },
];

describe('CPU histograms', () => {
  test('equal PyTorch (searchsorted over float64 edges) on the fixture', () => {
    for (const [name, f] of Object.entries(kernelFixture())) {
      for (const ref of f.histograms) {
        const h = cpuHistogram(f.x, ref.spec);
        assert.deepEqual(Array.from(h.counts), ref.counts, `${name} ${JSON.stringify(ref.spec)}`);
        assert.deepEqual([h.below, h.above, h.nan], [ref.below, ref.above, ref.nan], `${name} ${JSON.stringify(ref.spec)} outside`);
      }
    }
  });

  test('equal the float64 definition on the edge cases and the Adam second moment', () => {
    const inputs = [...edgeCases(), { name: 'exp_avg_sq', x: kernelFixture().exp_avg_sq!.x }];
    for (const { name, x } of inputs) {
      for (const spec of SPECS) assertSameCounts(cpuHistogram(x, spec), naiveHistogram(x, spec), `${name} ${JSON.stringify(spec)}`);
    }
  });

  test('put lo in the first bin, hi in the last, and values just outside in below/above', () => {
    const spec: HistogramSpec = { scale: 'linear', bins: 4, lo: 0.1, hi: 0.9 };
    const lo = Math.fround(0.1);
    const x = f32([lo, Math.fround(0.9), 0.0999999, 0.9000001, -Infinity, Infinity, NaN, -0, 0.5]);
    const h = cpuHistogram(x, spec);
    // fround(0.1) is above 0.1 and fround(0.9) below 0.9: both inside.
    assert.deepEqual(Array.from(h.counts), [1, 0, 1, 1]);
    assert.deepEqual([h.below, h.above, h.nan, h.total], [3, 2, 1, 9]);
  });

  test('count log bins of |x| with zeros apart, and h(v) = 1/(sqrt(v)+1e-6) of Adam moments', () => {
    const log = cpuHistogram(f32([0, -0, 1e-3, -1e-3, 10, 100, 1e-9, NaN, -Infinity]), { scale: 'log10abs', bins: 3, lo: -3, hi: 0 });
    assert.deepEqual(Array.from(log.counts), [2, 0, 0]);
    assert.deepEqual([log.zeros, log.below, log.above, log.nan], [2, 1, 3, 1]);
    // h(0) = 1e6 (log10 6, the closed top edge); h(1e-12) = 5e5; h(1) just below 1 (log10 < 0);
    // h(+Inf) = 0 (no logarithm: zeros); v < 0 has no h (nan).
    const h = cpuHistogram(f32([0, 1e-12, 1, -1e-9, Infinity]), { scale: 'log10abs', bins: 6, lo: 0, hi: 6, transform: 'adam-update' });
    assert.deepEqual(Array.from(h.counts), [0, 0, 0, 0, 0, 2]);
    assert.deepEqual([h.zeros, h.below, h.above, h.nan], [1, 1, 0, 1]);
  });

  test('merge chunk histograms into the histogram of the whole', () => {
    const x = normal(50001, 3);
    const spec: HistogramSpec = { scale: 'linear', bins: 33, lo: -2, hi: 2 };
    const whole = cpuHistogram(f32(x), spec);
    let acc = emptyHistogram(spec);
    for (const [a, b] of [[0, 10], [10, 40000], [40000, 50001]]) acc = mergeHistograms(acc, cpuHistogram(f32(x.subarray(a, b)), spec));
    assertSameCounts(acc, whole, 'chunks');
    assert.throws(() => mergeHistograms(whole, cpuHistogram(f32(x), { ...spec, bins: 34 })), /different specs/);
  });

  test('reject specs they cannot honour', () => {
    const x = f32([1]);
    for (const bad of [
      { scale: 'linear', bins: 0, lo: 0, hi: 1 },
      { scale: 'linear', bins: 4097, lo: 0, hi: 1 },
      { scale: 'linear', bins: 2.5, lo: 0, hi: 1 },
      { scale: 'linear', bins: 10, lo: 1, hi: 1 },
      { scale: 'linear', bins: 10, lo: NaN, hi: 1 },
      { scale: 'log10abs', bins: 10, lo: 0, hi: Infinity },
      { scale: 'cubic', bins: 10, lo: 0, hi: 1 },
      { scale: 'linear', bins: 10, lo: 0, hi: 1, transform: 'sqrt' },
    ]) {
      assert.throws(() => cpuHistogram(x, bad as HistogramSpec), RangeError, JSON.stringify(bad));
    }
  });

  test('bins narrower than float32 spacing stay consistent (empty bins, nothing lost)', () => {
    const h = cpuHistogram(f32([1, 1, Math.fround(1 + 2 ** -23)]), { scale: 'linear', bins: 4096, lo: 1, hi: 1 + 1e-6 });
    assert.equal(h.counts[0], 2);
    assert.equal(h.counts.reduce((a, b) => a + b, 0), 3);
    const tables = histogramTables({ scale: 'linear', bins: 4096, lo: 1, hi: 1 + 1e-6 });
    for (let j = 1; j < tables.thresholds.length; j++) assert.ok(tables.thresholds[j]! >= tables.thresholds[j - 1]!);
  });
});

describe('GPU histograms equal the CPU', () => {
  for (const [label, opts] of [
    ['one slab', {}],
    ['forced through many 4 KiB chunks', { maxChunkBytes: 4096 }],
    ['workgroup memory for 1024 counters only (the rest global)', { maxLocalCounters: 1024 }],
  ] as const) {
    test(`edge cases and fixture, every spec, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      const inputs = [...edgeCases(), ...Object.entries(kernelFixture()).map(([name, f]) => ({ name, x: f.x }))];
      for (const { name, x } of inputs) {
        for (const spec of SPECS) assertSameCounts(await gpu.histogram(x, spec), cpuHistogram(x, spec), `${name} ${JSON.stringify(spec)} (${label})`);
      }
    });
  }

  test('rejects a bad spec before touching the GPU', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    await assert.rejects(gpu.histogram(f32([1]), { scale: 'linear', bins: 0, lo: 0, hi: 1 }), RangeError);
  });
});
