// N:M semi-structured masks (kernel 6, CPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeNM, nmPrune } from '../../kernels/src/cpu/nm.ts';
import { fixtureTensors, readF32 } from './quantFixtures.ts';

/** Reference: sort each group by (score desc, index asc) and keep the first N. */
function naiveMask(x: Float32Array, cols: number, n: number, m: number, score: (i: number) => number): Uint8Array {
  const mask = new Uint8Array(x.length);
  for (let r = 0; r < x.length / cols; r++) {
    for (let g = 0; g < cols; g += m) {
      const idx = Array.from({ length: Math.min(m, cols - g) }, (_, t) => r * cols + g + t);
      const s = (i: number) => (Number.isNaN(score(i)) ? -Infinity : score(i));
      idx.sort((a, b) => s(b) - s(a) || a - b);
      for (const i of idx.slice(0, n)) mask[i] = 1;
    }
  }
  return mask;
}

test('2:4 and 4:8 along rows keep the largest |x|, ties to the lower index, and report the error', () => {
  const rows = 6, cols = 16;
  const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.round(Math.sin(i * 2.3) * 4) / 2); // many ties
  for (const [n, m] of [[2, 4], [4, 8], [1, 4], [0, 4], [4, 4]] as const) {
    const mask = new Uint8Array(x.length);
    const r = nmPrune(x, cols, { n, m, mask });
    const want = naiveMask(x, cols, n, m, (i) => Math.abs(x[i]!));
    assert.deepEqual(mask, want, `${n}:${m}`);
    let all = 0, pruned = 0, mass = 0, removed = 0;
    for (let i = 0; i < x.length; i++) {
      all += x[i]! ** 2;
      mass += Math.abs(x[i]!);
      if (!want[i]) {
        pruned += x[i]! ** 2;
        removed += Math.abs(x[i]!);
      }
    }
    assert.equal(r.kept, (x.length / m) * n);
    assert.ok(Math.abs(r.rel_err - Math.sqrt(pruned / all)) < 1e-15);
    assert.ok(Math.abs(r.importanceRemoved - removed) < 1e-12 && Math.abs(r.importanceTotal - mass) < 1e-12);
  }
});

test('a supplied importance decides (e.g. Taylor |m * w|), NaN importance is pruned first', () => {
  const x = Float32Array.from([4, 3, 2, 1, 1, 2, 3, 4]);
  const imp = Float32Array.from([0, 1, 2, 3, NaN, 9, 0, 1]);
  const mask = new Uint8Array(8);
  const r = nmPrune(x, 8, { n: 2, m: 4, importance: imp, mask });
  assert.deepEqual(Array.from(mask), [0, 0, 1, 1, 0, 1, 0, 1]);
  assert.equal(r.importanceRemoved, 0 + 1 + 0 + 0); // NaN counts as 0 importance removed
  assert.ok(Math.abs(r.rel_err - Math.sqrt((16 + 9 + 1 + 9) / 60)) < 1e-15);
});

test('rows not a multiple of M end with a shorter group keeping min(N, its length)', () => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 9, 8, 10]); // 2 rows of 5: groups [4] + [1]
  const mask = new Uint8Array(10);
  const r = nmPrune(x, 5, { n: 2, m: 4, mask });
  assert.deepEqual(Array.from(mask), [0, 0, 1, 1, 1, 0, 0, 1, 1, 1]);
  assert.equal(r.kept, 6);
});

test('chunks of whole rows merge to the whole-tensor result; fixture weights at 2:4', async () => {
  const t = (await fixtureTensors('tiny-llama', 'checkpoint-200')).find((x) => x.name === 'model.layers.0.mlp.down_proj.weight')!;
  const w = await readF32(t.weight);
  const cols = t.shape[1]!;
  const whole = nmPrune(w, cols, { n: 2, m: 4 });
  const half = (w.length / cols / 2) * cols;
  const merged = mergeNM(nmPrune(w.subarray(0, half), cols, { n: 2, m: 4 }), nmPrune(w.subarray(half), cols, { n: 2, m: 4 }));
  assert.equal(merged.kept, whole.kept);
  assert.ok(Math.abs(merged.rel_err - whole.rel_err) < 1e-12);
  assert.equal(whole.kept, w.length / 2);
  // keeping the 2 largest of 4 removes far less than half the energy of trained weights
  assert.ok(whole.rel_err > 0.2 && whole.rel_err < 0.5, `rel_err ${whole.rel_err}`);
});

test('edge cases and bad arguments', () => {
  const e = nmPrune(new Float32Array(0), 4, { n: 2, m: 4 });
  assert.deepEqual([e.kept, e.total, e.rel_err], [0, 0, 0]);
  const z = nmPrune(new Float32Array(8), 8, { n: 2, m: 4 });
  assert.deepEqual([z.kept, z.rel_err], [4, 0]);
  assert.throws(() => nmPrune(new Float32Array(8), 3, { n: 2, m: 4 }), /not whole rows of 3/);
  assert.throws(() => nmPrune(new Float32Array(8), 4, { n: 5, m: 4 }), /0 <= N <= M/);
  assert.throws(() => nmPrune(new Float32Array(8), 4, { n: 2, m: 4, importance: new Float32Array(2) }), /importance has 2/);
  assert.throws(() => mergeNM(nmPrune(new Float32Array(4), 4, { n: 2, m: 4 }), nmPrune(new Float32Array(8), 8, { n: 4, m: 8 })), /cannot merge/);
});
