// Error curve of unstructured pruning: hand-computed cases, the tie and NaN rules, and agreement with a
// sort-based reference on random, heavy-tailed, Taylor-like and BF16-quantised data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SPARSITY_GRID, errorAtCounts, errorCurve, removalMask, removedCount } from '../../server/src/analysis/errorCurve.ts';
import { close, prefixSums, removalOrder, seeded, toBf16Precision, weights } from './errorCurveData.ts';

const f32 = (...values: number[]) => Float32Array.from(values);
const abs = (w: Float32Array) => w.map(Math.abs);

test('magnitude importance, five weights: every level by hand', () => {
  const w = f32(3, -1, 2, -4, 0.5);
  const curve = errorCurve(w, abs(w), { sparsities: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  // removal order: 0.5, -1, 2, 3, -4
  assert.equal(curve.numel, 5);
  assert.equal(curve.sqNorm, 30.25);
  assert.equal(curve.importanceTotal, 10.5);
  assert.deepEqual(curve.points.map((p) => p.removed), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(curve.points.map((p) => p.sqErr), [0, 0.25, 1.25, 5.25, 14.25, 30.25]);
  assert.deepEqual(curve.points.map((p) => p.importanceRemoved), [0, 0.5, 1.5, 3.5, 6.5, 10.5]);
  assert.deepEqual(curve.points.map((p) => p.threshold), [-Infinity, 0.5, 1, 2, 3, 4]);
  assert.deepEqual(curve.points.map((p) => p.tiesRemoved), [0, 1, 1, 1, 1, 1]);
  assert.equal(curve.points[3]!.relErr, Math.sqrt(5.25 / 30.25));
  assert.equal(curve.points[3]!.importanceRemovedFrac, 3.5 / 10.5);
  assert.equal(curve.points[5]!.relErr, 1);
});

test('the default grid is 0%..95% in 1% steps, with floor(p * n) removed', () => {
  assert.equal(DEFAULT_SPARSITY_GRID.length, 96);
  assert.equal(DEFAULT_SPARSITY_GRID[95], 0.95);
  const w = weights(100, seeded(1));
  const curve = errorCurve(w, abs(w));
  // 0.29 * 100 is 28.999999999999996 in binary: still 29 entries
  assert.deepEqual(curve.points.map((p) => p.removed), DEFAULT_SPARSITY_GRID.map((_, i) => i));
  assert.equal(removedCount(0.29, 100), 29);
  assert.equal(removedCount(0.5, 7), 3);
});

test('ties in importance are removed in index order (Taylor importance with m = 0)', () => {
  const w = f32(1, 2, 3, 4, 5);
  const s = f32(0, 0, 0, 0, 7);
  const curve = errorAtCounts(w, s, [1, 2, 3, 4, 5, 2]);
  assert.deepEqual(curve.points.map((p) => p.sqErr), [1, 5, 14, 30, 55, 5]);
  assert.deepEqual(curve.points.map((p) => p.importanceRemoved), [0, 0, 0, 0, 7, 0]);
  assert.deepEqual(curve.points.map((p) => [p.threshold, p.tiesRemoved]), [[0, 1], [0, 2], [0, 3], [0, 4], [7, 1], [0, 2]]);
});

test('-0 and +0 are one importance value; NaN ranks last and carries no mass', () => {
  const zeros = errorAtCounts(f32(1, 2, 3), f32(-0, 0, -0), [1, 2, 3]);
  assert.deepEqual(zeros.points.map((p) => p.sqErr), [1, 5, 14]);
  assert.deepEqual(zeros.points.map((p) => p.tiesRemoved), [1, 2, 3]);

  const nan = errorAtCounts(f32(5, 1, 1), f32(NaN, 1, 2), [2, 3]);
  assert.equal(nan.nanImportance, 1);
  assert.equal(nan.importanceTotal, 3);
  assert.deepEqual(nan.points.map((p) => [p.sqErr, p.importanceRemoved]), [[2, 3], [27, 3]]);
  assert.ok(Number.isNaN(nan.points[1]!.threshold));
  assert.equal(nan.points[0]!.threshold, 2);
});

test('negative importance values order like numbers', () => {
  const curve = errorAtCounts(f32(1, 2, 3), f32(-1, -3, 2), [1, 2]);
  assert.deepEqual(curve.points.map((p) => p.sqErr), [4, 5]);
  assert.deepEqual(curve.points.map((p) => p.importanceRemoved), [-3, -4]);
});

test('empty tensor, all-zero tensor', () => {
  const empty = errorCurve(new Float32Array(0), new Float32Array(0));
  assert.equal(empty.points.length, 96);
  assert.ok(empty.points.every((p) => p.removed === 0 && p.sqErr === 0 && p.relErr === 0));

  const zeros = errorCurve(new Float32Array(64), new Float32Array(64));
  assert.equal(zeros.sqNorm, 0);
  assert.ok(zeros.points.every((p) => p.sqErr === 0 && p.relErr === 0 && p.importanceRemovedFrac === 0));
  assert.equal(zeros.points[50]!.removed, 32);
});

test('bad input: clear errors naming the tensor', () => {
  assert.throws(() => errorCurve(f32(1, 2), f32(1), { tensor: 'model.layers.0.mlp.up_proj.weight' }), /up_proj\.weight: importance has 1 values, weights 2/);
  assert.throws(() => errorCurve(f32(1), f32(1), { sparsities: [0.5, 1.2] }), /sparsity 1\.2 is not in \[0, 1\]/);
  assert.throws(() => errorCurve(f32(1), f32(1), { sparsities: [NaN] }), /sparsity NaN/);
  assert.throws(() => errorAtCounts(f32(1, 2), f32(1, 2), [3]), /removal count 3 is not an integer in \[0, 2\]/);
  assert.throws(() => errorAtCounts(f32(1, 2), f32(1, 2), [0.5]), /removal count 0\.5/);
});

/** Every point of `curve` against the sort-based reference; and the mask rule reproduces each selection. */
function checkAgainstSort(label: string, w: Float32Array, s: Float32Array, counts: number[]): void {
  const curve = errorAtCounts(w, s, counts);
  const reference = prefixSums(w, s, removalOrder(s));
  curve.points.forEach((point, i) => {
    const k = counts[i]!;
    assert.equal(point.removed, k);
    assert.ok(close(point.sqErr, reference.sqErr[k]!), `${label} k=${k}: sqErr ${point.sqErr} vs ${reference.sqErr[k]}`);
    assert.ok(close(point.importanceRemoved, reference.importance[k]!, 1e-9), `${label} k=${k}: importance ${point.importanceRemoved} vs ${reference.importance[k]}`);
  });
  assert.ok(close(curve.sqNorm, reference.sqErr[w.length]!));
  for (const point of curve.points.filter((_, i) => i % 7 === 0)) {
    const mask = removalMask(s, point);
    let removed = 0;
    let sqErr = 0;
    mask.forEach((m, i) => m && (removed++, (sqErr += w[i]! * w[i]!)));
    assert.equal(removed, point.removed, `${label}: mask size at k=${point.removed}`);
    assert.ok(close(sqErr, point.sqErr), `${label}: mask error at k=${point.removed}`);
  }
}

test('agrees with a sort on Gaussian, heavy-tailed, Taylor, OBD and BF16 data (several seeds)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const random = seeded(seed);
    const n = 3000 + Math.floor(random() * 3000);
    const counts = DEFAULT_SPARSITY_GRID.map((p) => removedCount(p, n)).concat([n, 1, n - 1, 17, 17]);
    const w = weights(n, random, seed % 2 === 0, 0.02);
    const m = Float32Array.from(w, () => (random() < 0.25 ? 0 : (random() - 0.5) * 1e-3));
    const v = Float32Array.from(w, () => (random() < 0.1 ? 0 : random() * 1e-6));
    checkAgainstSort(`magnitude seed ${seed}`, w, abs(w), counts);
    checkAgainstSort(`taylor seed ${seed}`, w, w.map((x, i) => Math.abs(x * m[i]!)), counts);
    checkAgainstSort(`obd seed ${seed}`, w, w.map((x, i) => 0.5 * v[i]! * x * x), counts);
    const wb = toBf16Precision(w);
    checkAgainstSort(`bf16 magnitude seed ${seed}`, wb, abs(wb), counts);
    // BF16 Taylor: coarse importance values tie often while their w^2 differ (the index-order pass).
    checkAgainstSort(`bf16 taylor seed ${seed}`, wb, toBf16Precision(wb.map((x, i) => Math.abs(x * m[i]!) * 1e3)), counts);
  }
});

test('agrees with a sort on 200k elements with a few distinct importance values', () => {
  const random = seeded(11);
  const n = 200_000;
  const w = weights(n, random);
  const s = Float32Array.from(w, () => Math.floor(random() * 5) / 4);
  checkAgainstSort('coarse', w, s, DEFAULT_SPARSITY_GRID.map((p) => removedCount(p, n)));
});
