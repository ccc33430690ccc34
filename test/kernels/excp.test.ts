// ExCP element-wise step (kernel 8, CPU): kept counts equal PyTorch's exactly on the fixture series,
// thresholds to 1e-6, and the restored second moment's update error of ALGORITHMS.md §1.6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { excpStep, lowerMedianAbs } from '../../kernels/src/cpu/excp.ts';
import { kmeans1d } from '../../kernels/src/cpu/kmeans.ts';
import { expandFactorRow, factorize } from '../../kernels/src/cpu/quantFactored.ts';
import { fixtureTensors, readF32, reference, relDiff } from './quantFixtures.ts';

const SERIES: Array<[string, string, string]> = [
  ['tiny-llama', 'checkpoint-200', 'checkpoint-100'],
  ['tiny-llama', 'checkpoint-300', 'checkpoint-200'],
  ['tiny-llama-bf16', 'checkpoint-200', 'checkpoint-100'], // BF16 weights upcast to float32 by the reader
];

for (const [set, ckpt, prevCkpt] of SERIES) {
  test(`kept counts equal PyTorch's on ${set} ${ckpt} against ${prevCkpt}`, async () => {
    const ref = reference(set, ckpt);
    const now = await fixtureTensors(set, ckpt);
    const prev = await fixtureTensors(set, prevCkpt);
    let keptW = 0, keptM = 0, numel = 0;
    for (let i = 0; i < now.length; i++) {
      const t = now[i]!;
      assert.equal(prev[i]!.name, t.name);
      const r = excpStep(await readF32(t.weight), await readF32(prev[i]!.weight), await readF32(t.exp_avg), await readF32(t.exp_avg_sq));
      const want = ref.tensors[t.name]!.excp_default!;
      assert.equal(r.keptW, want.kept_w, `${t.name} kept_w`);
      assert.equal(r.keptM, want.kept_m, `${t.name} kept_m`);
      assert.ok(relDiff(r.thresholdW, want.threshold_w) < 1e-6, `${t.name} threshold_w ${r.thresholdW} vs ${want.threshold_w}`);
      keptW += r.keptW;
      keptM += r.keptM!;
      numel += r.numel;
    }
    assert.deepEqual({ kept_w: keptW, kept_m: keptM, numel }, { kept_w: ref.excp_default_total!.kept_w, kept_m: ref.excp_default_total!.kept_m, numel: ref.excp_default_total!.numel });
  });
}

test('restored second moment (k-means of kept v, 4 bits): update_rel_err 3.67 with pruned v = 0, 0.030 with the factorized fill', async () => {
  const now = await fixtureTensors('tiny-llama', 'checkpoint-200');
  const prev = await fixtureTensors('tiny-llama', 'checkpoint-100');
  const h = (x: number) => 1 / (Math.sqrt(x) + 1e-6);
  let hSq = 0, errZero = 0, errFill = 0;
  for (let i = 0; i < now.length; i++) {
    const t = now[i]!;
    const v = await readF32(t.exp_avg_sq);
    const step = excpStep(await readF32(t.weight), await readF32(prev[i]!.weight), await readF32(t.exp_avg), v);
    const km = kmeans1d(v, { k: 15, mask: step.momentMask });
    const f = factorize(v, t.shape);
    const fill = new Float32Array(v.length);
    if (f.cols === 0) fill.fill(f.row[0]!);
    else for (let r = 0; r < f.rows; r++) expandFactorRow(f, r, fill, r * f.cols);
    for (let j = 0; j < v.length; j++) {
      const code = km.codes[j]!;
      const hv = h(v[j]!);
      hSq += hv * hv;
      errZero += (hv - h(code ? km.centroids[code - 1]! : 0)) ** 2;
      errFill += (hv - h(code ? km.centroids[code - 1]! : fill[j]!)) ** 2;
    }
  }
  // ALGORITHMS.md §1.6 (PyTorch, faiss k-means with an fp16 codebook): 3.67 and 0.030.
  const paper = Math.sqrt(errZero / hSq);
  const filled = Math.sqrt(errFill / hSq);
  assert.ok(Math.abs(paper - 3.67) < 0.1, `published recipe: ${paper}`);
  assert.ok(Math.abs(filled - 0.030) < 0.002, `factorized fill: ${filled}`);
});

test('thresholds: lower median, the 2.5 cap, float32 rounding; joint momentum mask', () => {
  const w = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const r = Float32Array.from([1, 1.5, 3.25, 3, 5.125, 0]); // dW = 0, .5, -.25, 1, -.125, 6
  const m = Float32Array.from([1, -1, 9, 0.1, 1, 9]);
  const tinyV = new Float32Array(6).fill(1e-20); // alpha / sqrt(mean v) is huge: the cap 2.5 applies
  const a = excpStep(w, r, m, tinyV);
  assert.equal(a.medianAbsResidual, 0.25); // sorted |dW| = 0, .125, .25, .5, 1, 6: rank floor(5/2) = 2
  assert.equal(a.thresholdW, 0.625);
  assert.deepEqual(Array.from(a.weightMask), [0, 0, 0, 1, 0, 1]);
  assert.deepEqual(Array.from(a.residual), [0, 0, 0, 1, 0, 6]);
  // mean |m| = 21.1 / 6, thr_m = fround(2 * that) = 7.03: m[2] passes but its weight was pruned,
  // m[3] is too small: only position 5 survives
  assert.equal(a.thresholdM, Math.fround((2 * (1 + 1 + 9 + Math.fround(0.1) + 1 + 9)) / 6));
  assert.deepEqual(Array.from(a.momentMask!), [0, 0, 0, 0, 0, 1]);
  assert.equal(a.keptM, 1);

  const bigV = new Float32Array(6).fill(1e-6); // factor = 5e-5 / 1e-3 = 0.05
  const b = excpStep(w, r, m, bigV);
  assert.equal(b.thresholdW, Math.fround(0.25 * (5e-5 / Math.sqrt(Math.fround(1e-6)))));
  assert.equal(b.keptW, 5);

  const given = excpStep(w, r, undefined, undefined, { weightThreshold: 0.3 });
  assert.equal(given.keptW, 3);
  assert.equal(given.momentMask, undefined);
});

test('lower median of |x|: ranks, ties, NaN last, infinities', () => {
  assert.equal(lowerMedianAbs(Float32Array.from([5, -1, 3, -2])), 2);
  assert.equal(lowerMedianAbs(Float32Array.from([7])), 7);
  assert.ok(Number.isNaN(lowerMedianAbs(new Float32Array(0))));
  assert.equal(lowerMedianAbs(new Float32Array(100_001)), 0);
  assert.equal(lowerMedianAbs(Float32Array.from([NaN, 1, 2, NaN, 3])), 3);
  assert.ok(Number.isNaN(lowerMedianAbs(Float32Array.from([NaN, NaN, 1]))));
  assert.equal(lowerMedianAbs(Float32Array.from([-Infinity, Infinity, 1])), Infinity);
  let s = 9;
  const x = Float32Array.from({ length: 50_001 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), (s % 1000) - 500));
  const sorted = Float64Array.from(x, Math.abs).sort();
  assert.equal(lowerMedianAbs(x), sorted[25_000]);
  // adjacent floats share the high 16 key bits: the second counting pass decides
  const near = Float32Array.from({ length: 1001 }, (_, i) => (i % 2 ? -1 : 1) * (1 + ((i * 3) % 1001) * 2 ** -23));
  assert.equal(lowerMedianAbs(near), 1 + 500 * 2 ** -23);
});

test('edge cases and bad input', () => {
  const e = excpStep(new Float32Array(0), new Float32Array(0), new Float32Array(0), new Float32Array(0));
  assert.deepEqual([e.keptW, e.keptM, e.thresholdW], [0, 0, 0]);
  const same = excpStep(Float32Array.of(1, 2), Float32Array.of(1, 2), Float32Array.of(1, 1), Float32Array.of(0, 0));
  assert.equal(same.keptW, 0); // |dW| = 0 is never > 0
  // NaN residuals are never kept, infinite ones always (PyTorch's comparisons); a zero threshold keeps
  // every nonzero residual, a negative one every non-NaN residual
  const w = Float32Array.from([NaN, Infinity, -Infinity, 0, 1e-45, -2]);
  const zero = new Float32Array(6);
  assert.deepEqual(Array.from(excpStep(w, zero, undefined, undefined, { weightThreshold: 1 }).weightMask), [0, 1, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(excpStep(w, zero, undefined, undefined, { weightThreshold: 0 }).weightMask), [0, 1, 1, 0, 1, 1]);
  assert.deepEqual(Array.from(excpStep(w, zero, undefined, undefined, { weightThreshold: -0 }).weightMask), [0, 1, 1, 0, 1, 1]);
  assert.deepEqual(Array.from(excpStep(w, zero, undefined, undefined, { weightThreshold: -1 }).weightMask), [0, 1, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(excpStep(w, zero, undefined, undefined, { weightThreshold: NaN }).weightMask), [0, 0, 0, 0, 0, 0]);
  assert.ok(Object.is(excpStep(w, zero, undefined, undefined, { weightThreshold: 1 }).residual[0], 0)); // pruned NaN -> +0
  assert.throws(() => excpStep(new Float32Array(3), new Float32Array(2), undefined, undefined), /reference has 2 elements, the weights 3/);
  assert.throws(() => excpStep(new Float32Array(3), new Float32Array(3), undefined, undefined), /needs exp_avg_sq/);
});
