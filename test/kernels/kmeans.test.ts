// 1-D k-means (kernel 7, CPU): at least as good as randomly initialised Lloyd's (the ExCP reference
// uses faiss), close to the exact optimum, consistent codes, edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kmeans1d, roundToF16 } from '../../kernels/src/cpu/kmeans.ts';
import { excpStep } from '../../kernels/src/cpu/excp.ts';
import { toFloat32 } from '../../server/src/formats/dtype.ts';
import { fixtureTensors, readF32 } from './quantFixtures.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
}

/** Lloyd's algorithm from k random data points (faiss-style), 25 iterations; returns the SSE. */
function lloydRandomInit(vals: Float64Array, k: number, seed: number): number {
  const rnd = rng(seed);
  const c = Float64Array.from({ length: k }, () => vals[Math.floor(rnd() * vals.length)]!);
  let sse = 0;
  for (let it = 0; it <= 25; it++) {
    const sum = new Float64Array(k), cnt = new Float64Array(k);
    sse = 0;
    for (const v of vals) {
      let best = 0;
      for (let t = 1; t < k; t++) if ((v - c[t]!) ** 2 < (v - c[best]!) ** 2) best = t;
      sum[best] += v;
      cnt[best]++;
      sse += (v - c[best]!) ** 2;
    }
    for (let t = 0; t < k; t++) if (cnt[t]) c[t] = sum[t]! / cnt[t]!;
  }
  return sse;
}

/** The exact optimum: dynamic programming over all sorted values (small inputs only). */
function optimalSse(values: Float64Array, k: number): number {
  const v = values.slice().sort();
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const S = new Float64Array(n + 1), Q = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    S[i + 1] = S[i]! + (v[i]! - mean);
    Q[i + 1] = Q[i]! + (v[i]! - mean) ** 2;
  }
  const cost = (a: number, b: number) => Math.max(0, Q[b]! - Q[a]! - (S[b]! - S[a]!) ** 2 / (b - a));
  let prev = Float64Array.from({ length: n + 1 }, (_, i) => (i === 0 ? 0 : cost(0, i)));
  for (let layer = 1; layer < k; layer++) {
    const cur = new Float64Array(n + 1).fill(Infinity);
    const solve = (lo: number, hi: number, oLo: number, oHi: number): void => {
      if (lo > hi) return;
      const mid = (lo + hi) >> 1;
      let best = Infinity, bj = oLo;
      for (let j = oLo; j <= Math.min(mid - 1, oHi); j++) {
        const c = prev[j]! + cost(j, mid);
        if (c < best) [best, bj] = [c, j];
      }
      cur[mid] = best;
      solve(lo, mid - 1, oLo, bj);
      solve(mid + 1, hi, bj, oHi);
    };
    solve(layer + 1, n, layer, n - 1);
    prev = cur;
  }
  return prev[n]!;
}

function checkCodes(x: Float32Array, selected: (i: number) => boolean, r: ReturnType<typeof kmeans1d>): void {
  let sse = 0, count = 0;
  for (let i = 0; i < x.length; i++) {
    const code = r.codes[i]!;
    assert.equal(code !== 0, selected(i), `element ${i}`);
    if (code) {
      assert.ok(code <= r.centroids.length);
      sse += (x[i]! - r.centroids[code - 1]!) ** 2;
      count++;
    }
  }
  assert.equal(count, r.count);
  assert.ok(Math.abs(sse - r.sse) <= 1e-9 * sse, `sse ${r.sse} vs recomputed ${sse}`);
  for (let i = 1; i < r.centroids.length; i++) assert.ok(r.centroids[i]! > r.centroids[i - 1]!);
}

test('ExCP kept values of the fixture: lower SSE than random-init Lloyd (15 centroids), within 0.1% of the optimum', async () => {
  const now = await fixtureTensors('tiny-llama', 'checkpoint-200');
  const prev = await fixtureTensors('tiny-llama', 'checkpoint-100');
  for (const name of ['model.embed_tokens.weight', 'model.layers.0.mlp.up_proj.weight', 'model.layers.1.self_attn.q_proj.weight', 'lm_head.weight']) {
    const i = now.findIndex((t) => t.name === name);
    const t = now[i]!;
    const m = await readF32(t.exp_avg);
    const v = await readF32(t.exp_avg_sq);
    const step = excpStep(await readF32(t.weight), await readF32(prev[i]!.weight), m, v);
    const cases: Array<[string, Float32Array, Uint8Array | undefined]> = [
      ['dW', step.residual, undefined],
      ['m', m, step.momentMask],
      ['v', v, step.momentMask],
    ];
    for (const [what, x, mask] of cases) {
      const r = kmeans1d(x, { k: 15, mask });
      const selected = (j: number) => (mask ? mask[j] === 1 : x[j] !== 0);
      checkCodes(x, selected, r);
      const vals = Float64Array.from(x.filter((_, j) => selected(j)));
      const lloyd = Math.min(...[1, 2, 3].map((seed) => lloydRandomInit(vals, 15, seed)));
      assert.ok(r.sse <= lloyd, `${name} ${what}: ${r.sse} vs Lloyd ${lloyd}`);
      const opt = optimalSse(vals, 15);
      assert.ok(r.sse <= opt * 1.001, `${name} ${what}: ${r.sse} vs optimum ${opt}`);
    }
  }
});

test('heavy tails and a narrow cluster far from zero are both resolved', () => {
  const rnd = rng(42);
  const n = 200_000;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    // log-normal bulk spanning decades, a narrow cluster at 1.0 +- 1e-4, and rare huge outliers
    x[i] = i % 3 === 0 ? 1 + (u - 0.5) * 2e-4 : i % 1000 === 1 ? 50 + u : Math.exp(-12 + 6 * u);
  }
  const r = kmeans1d(x, { k: 15 });
  const refined = kmeans1d(x, { k: 15, refinePasses: 2 });
  assert.ok(refined.sse <= r.sse * (1 + 1e-12), `exact Lloyd passes: ${refined.sse} vs ${r.sse}`);
  checkCodes(x, (i) => x[i] !== 0, refined);
  const vals = Float64Array.from(x);
  const lloyd = Math.min(...[1, 2].map((seed) => lloydRandomInit(vals, 15, seed)));
  assert.ok(r.sse < lloyd, `${r.sse} vs Lloyd ${lloyd}`);
  checkCodes(x, (i) => x[i] !== 0, r);
});

test('few values: at most k distinct values are reproduced exactly', () => {
  const x = Float32Array.from([0, 3, 0, -1, 3, 2.5, 0, -1]);
  const r = kmeans1d(x, { k: 3 });
  assert.deepEqual(Array.from(r.centroids), [-1, 2.5, 3]);
  assert.deepEqual(Array.from(r.codes), [0, 3, 0, 1, 3, 2, 0, 1]);
  assert.equal(r.sse, 0);
  // more elements than k but only 2 distinct values
  const y = Float32Array.from({ length: 100 }, (_, i) => (i % 2 ? 0.5 : -0.25));
  const ry = kmeans1d(y, { k: 15 });
  assert.deepEqual(Array.from(ry.centroids), [-0.25, 0.5]);
  assert.equal(ry.sse, 0);
});

test('mask, empty input, non-finite values, bad k', () => {
  const x = Float32Array.from([1, 2, NaN, 4, 0, 6]);
  const mask = Uint8Array.from([1, 1, 0, 1, 1, 0]); // the NaN is not selected; a selected 0 is clustered
  const r = kmeans1d(x, { k: 2, mask });
  assert.equal(r.count, 4);
  checkCodes(x, (i) => mask[i] === 1, r);
  assert.throws(() => kmeans1d(x, { k: 2 }), /non-finite value \(NaN\) at element 2/);
  const e = kmeans1d(new Float32Array(10), { k: 15 });
  assert.deepEqual([e.count, e.centroids.length, e.sse], [0, 0, 0]);
  assert.ok(e.codes.every((c) => c === 0));
  assert.throws(() => kmeans1d(x, { k: 256 }), /1\.\.255/);
  assert.throws(() => kmeans1d(x, { k: 2, mask: new Uint8Array(3) }), /mask has 3 elements/);
});

test('fp16 centroids: the stored codebook is exactly representable in half precision', () => {
  const rnd = rng(5);
  const x = Float32Array.from({ length: 5000 }, () => (rnd() - 0.5) * 1e-2);
  const r = kmeans1d(x, { k: 15, centroidDtype: 'f16' });
  for (const c of r.centroids) assert.equal(roundToF16(c), c);
  checkCodes(x, (i) => x[i] !== 0, r);
});

test('roundToF16 rounds to the nearest half (ties to even), with subnormals, overflow and NaN', () => {
  const bytes = new Uint8Array(65536 * 2);
  for (let h = 0; h < 65536; h++) [bytes[2 * h], bytes[2 * h + 1]] = [h & 0xff, h >> 8];
  const all = toFloat32(bytes, 'F16');
  const finite = Float64Array.from(all.filter((v) => Number.isFinite(v) && v >= 0)).sort();
  for (const h of finite) assert.equal(roundToF16(h), h);
  const rnd = rng(8);
  for (let t = 0; t < 20_000; t++) {
    const v = (rnd() < 0.5 ? 1e-6 : 1) * (rnd() * 2 - 1) * 70;
    const r = roundToF16(v);
    const a = Math.abs(v);
    // the nearest representable magnitude by bisection over the sorted table
    let lo = 0, hi = finite.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (finite[mid]! <= a) lo = mid;
      else hi = mid;
    }
    const below = finite[lo]!, above = finite[hi]!;
    if (a >= 65520) assert.equal(Math.abs(r), Infinity);
    else assert.ok(Math.abs(Math.abs(r) - a) <= Math.min(a - below, Math.abs(above - a)), `${v} -> ${r}`);
  }
  assert.equal(roundToF16(1 + 2 ** -11), 1); // a tie goes to the even mantissa
  assert.equal(roundToF16(1 + 3 * 2 ** -11), 1 + 2 ** -9);
  assert.equal(roundToF16(1e-9), 0);
  assert.ok(Number.isNaN(roundToF16(NaN)));
  assert.equal(roundToF16(-1e6), -Infinity);
});
