// Adafactor-style factorization of the second moment: v_ij ~ r_i c_j / sum(r).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandFactorRow, factoredError, factorize } from '../../kernels/src/cpu/quantFactored.ts';
import { relDiff } from './quantFixtures.ts';

test('the estimate is r_i * c_j / sum(r) with row and column sums', () => {
  const v = Float32Array.from([1, 2, 3, 4, 5, 6]); // 2 x 3
  const out = new Float32Array(6);
  const r = factoredError(v, [2, 3], { dequantized: out });
  const rows = [6, 15], cols = [5, 7, 9], total = 21;
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) assert.equal(out[i * 3 + j], Math.fround((rows[i]! * cols[j]!) / total));
  let num = 0, den = 0;
  for (let i = 0; i < 6; i++) {
    num += (v[i]! - out[i]!) ** 2;
    den += v[i]! ** 2;
  }
  assert.ok(relDiff(r.rel_err, Math.sqrt(num / den)) < 1e-12);
  assert.equal(r.bits_per_element, (32 * 5) / 6);
  assert.equal(r.scheme, 'factored');
  assert.ok(r.update_rel_err! > 0);
});

test('a rank-1 nonnegative matrix is reproduced (to float32 rounding); higher ranks fold to the view', () => {
  const a = [1e-7, 3e-8, 2e-6, 5e-9], b = [0.5, 2, 1, 4, 0.25];
  const v = Float32Array.from({ length: 20 }, (_, i) => a[Math.floor(i / 5)]! * b[i % 5]!);
  const r = factoredError(v, [4, 5]);
  assert.ok(r.rel_err < 1e-6 && r.update_rel_err! < 1e-6, JSON.stringify(r));
  assert.equal(r.zero_frac, 0);
  const f = factorize(v, [4, 1, 5]);
  assert.deepEqual([f.rows, f.cols], [4, 5]);
  const row = new Float32Array(5);
  expandFactorRow(f, 2, row);
  for (let j = 0; j < 5; j++) assert.ok(relDiff(row[j]!, v[10 + j]!) < 1e-6);
});

test('vectors use their mean; zero rows give exact zeros; an all-zero tensor is exact', () => {
  const vec = factoredError(Float32Array.from([1, 2, 3, 6]), [4], { secondMoment: false });
  assert.ok(relDiff(vec.rel_err, Math.sqrt((4 + 1 + 0 + 9) / 50)) < 1e-12);
  assert.equal(vec.bits_per_element, 32 / 4);
  assert.equal(vec.update_rel_err, undefined);
  const out = new Float32Array(6);
  const withZeroRow = factoredError(Float32Array.from([0, 0, 0, 1, 2, 3]), [2, 3], { dequantized: out });
  assert.deepEqual(Array.from(out.subarray(0, 3)), [0, 0, 0]);
  assert.equal(withZeroRow.zero_frac, 0.5);
  const zeros = factoredError(new Float32Array(12), [3, 4]);
  assert.deepEqual([zeros.rel_err, zeros.update_rel_err, zeros.zero_frac], [0, 0, 1]);
});

test('non-finite entries are left out of the factors and metrics', () => {
  const out = new Float32Array(4);
  const r = factoredError(Float32Array.from([1, NaN, 1, 1]), [2, 2], { dequantized: out });
  assert.equal(r.nonfinite, 1);
  assert.ok(Number.isNaN(out[1]!));
  assert.ok(Number.isFinite(r.rel_err));
  assert.throws(() => factoredError(new Float32Array(5), [2, 2]), /does not match 5 elements/);
});
