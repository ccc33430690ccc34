// Kernel 7 on WebGPU against the CPU reference: kept counts and masks exact; the float64-finished
// sums (sum of squares, pruned, importance) to 1e-5 relative (f32 sums of scaled values per thread).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Backend } from '../../kernels/src/backend.ts';
import { CpuBackend } from '../../kernels/src/cpu/cpuBackend.ts';
import { nmPrune, type NMOptions } from '../../kernels/src/cpu/nm.ts';
import { view2d } from '../../kernels/src/cpu/profiles.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { planGroupSlabs } from '../../kernels/src/webgpu/gpuNM.ts';
import { closeGpus, edgeCases, f32, gpuOrSkip, normal, rng } from './gpuEnv.ts';
import { assertClose, fixtureWithShapes, shapesFor, worst } from './gpuTwinInputs.ts';

after(closeGpus);
after(() => console.log(`# worst relative difference of the sums: ${JSON.stringify(Object.fromEntries(worst))}`));

const cpu = new CpuBackend({ threads: 1 });
const SUM_REL = 1e-5;
const PATTERNS: Array<[number, number]> = [[2, 4], [4, 8], [1, 4], [0, 4], [4, 4], [3, 7], [16, 64]];

async function assertSameNM(gpu: Backend, x: TensorData, shape: number[], opts: Omit<NMOptions, 'mask'>, what: string): Promise<void> {
  const n = x.data.length;
  const gMask = new Uint8Array(n).fill(7); // every byte must be overwritten
  const cMask = new Uint8Array(n);
  const g = await gpu.nm(x, shape, { ...opts, mask: gMask });
  const c = await cpu.nm(x, shape, { ...opts, mask: cMask });
  const tag = `${what} ${JSON.stringify(shape)} ${opts.n}:${opts.m}${opts.importance ? ' importance' : ''}`;
  assert.deepEqual([g.n, g.m, g.kept, g.total], [c.n, c.m, c.kept, c.total], tag);
  assert.ok(Buffer.from(gMask).equals(Buffer.from(cMask)), `${tag}: masks differ`);
  for (const k of ['sumSq', 'prunedSumSq', 'importanceTotal', 'importanceRemoved', 'rel_err'] as const) {
    assertClose(g[k], c[k], SUM_REL, `${tag}: ${k}`);
    if (Number.isFinite(c[k]) && c[k] !== 0) worst.set(k, Math.max(worst.get(k) ?? 0, Math.abs(g[k] - c[k]) / Math.abs(c[k])));
  }
  // without a mask requested the numbers are the same
  const noMask = await gpu.nm(x, shape, opts);
  assert.deepEqual(noMask, g, `${tag}: without mask`);
}

/** Importances with ties, NaN, +-Inf and negative values. */
function importanceFor(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, (_, i) => (i % 97 === 5 ? [NaN, Infinity, -Infinity, 0, -0][i % 5]! : Math.round(r() * 8) - 2));
}

describe('GPU N:M pruning equals the CPU', () => {
  for (const [label, opts] of [
    ['one slab', {}],
    ['many 4 KiB slabs (cut between groups)', { maxChunkBytes: 4096 }],
  ] as const) {
    test(`edge cases, several shapes and N:M patterns, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const { name, x } of edgeCases()) {
        if (x.data.length > 100_000) continue; // the large ones add time, not cases
        for (const shape of shapesFor(x.data.length).filter((s) => view2d(s).cols > 0)) {
          for (const [n, m] of PATTERNS) await assertSameNM(gpu, x, shape, { n, m }, `${name} (${label})`);
        }
      }
    });

    test(`supplied importance (ties, NaN, +-Inf), ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      const x = normal(12 * 1001, 41);
      x[17] = NaN;
      x[300] = Infinity;
      const imp = importanceFor(x.length, 42);
      for (const shape of [[12, 1001], [1001, 12], [1, 12 * 1001]]) {
        for (const [n, m] of PATTERNS) await assertSameNM(gpu, f32(x), shape, { n, m, importance: imp }, 'importance');
      }
      const bf16: TensorData = { dtype: 'BF16', data: Uint16Array.from(new Uint32Array(x.buffer), (b) => b >>> 16) };
      await assertSameNM(gpu, bf16, [12, 1001], { n: 2, m: 4, importance: imp }, 'BF16 with importance');
    });

    test(`fixture weights (F32, BF16, F16), ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const { name, x, shape } of fixtureWithShapes()) {
        for (const [n, m] of [[2, 4], [4, 8]] as const) await assertSameNM(gpu, x, shape, { n, m }, name);
      }
    });
  }

  test('a 2003 x 517 tensor over several 1 MiB slabs, 2:4 and 4:8', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1 << 20 });
    if (!gpu) return;
    const x = f32(normal(2003 * 517, 43, 0, 0.02));
    for (const [n, m] of [[2, 4], [4, 8]] as const) await assertSameNM(gpu, x, [2003, 517], { n, m }, 'large');
    const all = await gpu.nm(f32(new Float32Array(4096)), [64, 64], { n: 2, m: 4 });
    assert.deepEqual([all.kept, all.rel_err, all.sumSq], [2048, 0, 0]); // all zero: ties keep the first two
  });

  test('slabs are cut between groups only', () => {
    for (const [numel, cols, m, max] of [[1000, 10, 4, 64], [1000, 1000, 8, 100], [999, 3, 4, 30], [4096, 64, 64, 64]] as const) {
      let next = 0;
      for (const s of planGroupSlabs(numel, cols, m, max)) {
        assert.equal(s.start, next);
        assert.ok(s.count > 0 && s.count <= max);
        assert.equal(((s.start % cols) % m), 0, `slab at ${s.start} starts inside a group`);
        next += s.count;
      }
      assert.equal(next, numel);
    }
    assert.throws(() => planGroupSlabs(100, 10, 8, 4), /cannot hold a group of 8/);
  });

  test('bad arguments are rejected as on the CPU', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    await assert.rejects(gpu.nm(f32(new Float32Array(8)), [3, 3], { n: 2, m: 4 }), /not whole rows of 3/);
    await assert.rejects(gpu.nm(f32(new Float32Array(8)), [2, 4], { n: 5, m: 4 }), /0 <= N <= M/);
    await assert.rejects(gpu.nm(f32(new Float32Array(8)), [2, 4], { n: 2, m: 4, importance: new Float32Array(2) }), /importance has 2/);
    const e = await gpu.nm(f32([]), [0, 4], { n: 2, m: 4 });
    assert.deepEqual([e.kept, e.total, e.rel_err], [0, 0, 0]);
    assert.deepEqual(view2d([0, 4]).cols, 4);
  });
});

test('CPU reference: a kept Inf stays out of the pruned sums, a pruned one enters them', () => {
  const x = Float32Array.from([Infinity, 1, 2, 3, 5, 6, 7, Infinity]); // group 1 keeps Inf and 3, group 2 keeps 7 and Inf
  const kept = nmPrune(x, 8, { n: 2, m: 4 });
  assert.deepEqual([kept.prunedSumSq, kept.importanceRemoved, kept.sumSq], [1 + 4 + 25 + 36, 1 + 2 + 5 + 6, Infinity]);
  const pruned = nmPrune(x, 8, { n: 2, m: 4, importance: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) }); // Infs ranked by importance
  assert.deepEqual([pruned.prunedSumSq, pruned.importanceRemoved], [Infinity, 0 + 1 + 4 + 5]);
});
