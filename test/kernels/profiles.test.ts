// Row/column profiles and outlier classification (kernel 5, CPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accumulateProfiles, detectOutliers, finishProfiles, newProfileAccumulator, profileOutliers, rowColProfiles, view2d } from '../../kernels/src/cpu/profiles.ts';
import { fixtureTensors, readF32 } from './quantFixtures.ts';

test('2-D view: [d0, d1*...*dk], vectors d0 x 1, scalars 1 x 1', () => {
  assert.deepEqual(view2d([4, 3, 2]), { rows: 4, cols: 6 });
  assert.deepEqual(view2d([7]), { rows: 7, cols: 1 });
  assert.deepEqual(view2d([]), { rows: 1, cols: 1 });
  assert.deepEqual(view2d([0, 5]), { rows: 0, cols: 5 });
});

test('max-abs and L2 profiles equal a direct computation', () => {
  const rows = 7, cols = 13;
  const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.7) * (i % 5) - 0.1);
  const p = rowColProfiles(x, rows, cols, { l2: true });
  // Profile entry i of `count` lines of `len` elements, element j of line i at x[at(i, j)].
  const check = (maxAbs: Float32Array, l2: Float64Array, count: number, len: number, at: (i: number, j: number) => number) => {
    for (let i = 0; i < count; i++) {
      let m = 0, s = 0;
      for (let j = 0; j < len; j++) {
        m = Math.max(m, Math.abs(x[at(i, j)]!));
        s += x[at(i, j)]! ** 2;
      }
      assert.equal(maxAbs[i], m);
      assert.ok(Math.abs(l2[i]! - Math.sqrt(s)) <= 1e-15 * Math.sqrt(s));
    }
  };
  check(p.rowMaxAbs, p.rowL2!, rows, cols, (r, c) => r * cols + c);
  check(p.colMaxAbs, p.colL2!, cols, rows, (c, r) => r * cols + c);
  assert.equal(rowColProfiles(x, rows, cols).rowL2, undefined);
});

test('chunks that start and end mid-row give the same profiles as one pass', () => {
  const rows = 9, cols = 11;
  const x = Float32Array.from({ length: rows * cols }, (_, i) => ((i * 7919) % 101) - 50);
  const whole = rowColProfiles(x, rows, cols, { l2: true });
  const acc = newProfileAccumulator(rows, cols, true);
  for (const [a, b] of [[50, 99], [0, 5], [5, 50]] as const) accumulateProfiles(acc, x.subarray(a, b), a);
  assert.deepEqual(finishProfiles(acc), whole);
  assert.throws(() => accumulateProfiles(acc, x.subarray(0, 10), 95), /outside the 9 x 11 view/);
});

test('NaN and infinities are left out of max-abs; empty views are fine', () => {
  const p = rowColProfiles(Float32Array.from([1, NaN, -Infinity, -3]), 2, 2);
  assert.deepEqual(Array.from(p.rowMaxAbs), [1, 3]);
  assert.deepEqual(Array.from(p.colMaxAbs), [1, 3]);
  const e = rowColProfiles(new Float32Array(0), 0, 4);
  assert.equal(e.rowMaxAbs.length, 0);
  assert.deepEqual(Array.from(e.colMaxAbs), [0, 0, 0, 0]);
  assert.throws(() => rowColProfiles(new Float32Array(5), 2, 2), /does not fill a 2 x 2 view/);
});

function matrix(rows: number, cols: number, f: (r: number, c: number) => number): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => f(Math.floor(i / cols), i % cols));
}

test('outlier patterns: row, column, both, none', () => {
  const base = (r: number, c: number) => 1 + ((r * 31 + c * 17) % 7) / 10; // values in [1, 1.6]
  const rowOut = detectOutliers(rowColProfiles(matrix(20, 30, (r, c) => (r === 4 ? 20 : 1) * base(r, c)), 20, 30));
  assert.equal(rowOut.pattern, 'row');
  assert.deepEqual(rowOut.rows.indices, [4]);
  const colOut = detectOutliers(rowColProfiles(matrix(20, 30, (r, c) => (c === 3 || c === 29 ? -20 : 1) * base(r, c)), 20, 30));
  assert.equal(colOut.pattern, 'column');
  assert.deepEqual(colOut.cols.indices, [3, 29]);
  // A whole outlier column lifts every row's max, so "both" means outliers in a few rows AND a few
  // columns: isolated extreme elements.
  const both = detectOutliers(rowColProfiles(matrix(20, 30, (r, c) => ((r === 4 && c === 7) || (r === 10 && c === 20) ? 100 : base(r, c))), 20, 30));
  assert.equal(both.pattern, 'both');
  assert.deepEqual([both.rows.indices, both.cols.indices], [[4, 10], [7, 20]]);
  const none = detectOutliers(rowColProfiles(matrix(20, 30, base), 20, 30));
  assert.equal(none.pattern, 'none');
  // k is the factor over the median: 20x rows are not outliers at k = 25
  assert.equal(detectOutliers(rowColProfiles(matrix(20, 30, (r, c) => (r === 4 ? 20 : 1) * base(r, c)), 20, 30), 25).pattern, 'none');
});

test('dead (all-zero) rows do not set the median; a single-entry profile has no outliers', () => {
  const prof = Float32Array.from([0, 0, 0, 0, 0, 1, 1.2, 0.9, 30]);
  const o = profileOutliers(prof, 8);
  assert.equal(o.median, 1); // lower median of the live entries 0.9, 1, 1.2, 30
  assert.equal(o.zeroCount, 5);
  assert.deepEqual(o.indices, [8]);
  assert.deepEqual(profileOutliers(Float32Array.of(5)).indices, []);
  assert.deepEqual(profileOutliers(new Float32Array(4)).indices, []);
  assert.throws(() => profileOutliers(prof, 0), /must be positive/);
});

test('fixture moments: profiles bound the data and unused embedding rows are dead', async () => {
  const t = (await fixtureTensors('tiny-llama', 'checkpoint-200')).find((x) => x.name === 'model.embed_tokens.weight')!;
  const v = await readF32(t.exp_avg_sq);
  const { rows, cols } = view2d(t.shape);
  const p = rowColProfiles(v, rows, cols, { l2: true });
  let max = 0;
  for (const x of v) max = Math.max(max, x);
  assert.equal(Math.max(...p.rowMaxAbs), max);
  assert.equal(Math.max(...p.colMaxAbs), max);
  const report = detectOutliers(p);
  // byte-level vocabulary, Python source: many byte values never occur, their rows of v stay 0
  assert.ok(report.rows.zeroCount > 100 && report.rows.zeroCount < 256, `${report.rows.zeroCount} dead rows`);
  assert.equal(report.cols.zeroCount, 0);
});

test('a vector (n x 1) has |x| as its row profile and max |x| as its column profile', () => {
  const x = Float32Array.from([3, -4, NaN, 0.5, -Infinity]);
  const p = rowColProfiles(x, 5, 1, { l2: true });
  assert.deepEqual(Array.from(p.rowMaxAbs), [3, 4, 0, 0.5, 0]);
  assert.deepEqual(Array.from(p.colMaxAbs), [4]);
  const acc = newProfileAccumulator(5, 1, true);
  accumulateProfiles(acc, x.subarray(2), 2);
  accumulateProfiles(acc, x.subarray(0, 2), 0);
  assert.deepEqual(finishProfiles(acc), p);
  assert.equal(p.rowL2![1], 4);
});
