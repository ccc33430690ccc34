// 1-D k-means of the kept (nonzero) values, for ExCP's non-uniform quantization (ALGORITHMS.md §1.4):
// k = 2^b - 1 centroids, code 0 reserved for "pruned".
//
// Method (near-optimal, deterministic, a few passes over the data):
//  0. the selected values are gathered into a dense array first (branch-free): which elements are
//     kept is close to random, and a per-element "skip" branch mispredicts in every later pass;
//  1. a fine histogram over order-preserving float keys (up to 2^20 bins, log-like resolution, so
//     heavy tails and tiny values both stay resolved), with counts and sums per bin;
//  2. adjacent bins merged to at most ~8K points (a merged point stays small in both count and span);
//  3. optimal k-means of those weighted points by dynamic programming (divide-and-conquer over the
//     monotone split points, O(k P log P));
//  4. Lloyd iterations on the fine histogram, then optionally (`refinePasses`) on the exact data;
//  5. centroids rounded to the stored precision; a last pass assigns codes (nearest centroid, ties to
//     the lower) and measures the squared error exactly.
// Lloyd's steps never increase the error, so the result is at most the DP optimum of the binned data,
// which is typically well below what randomly initialised Lloyd's reaches.
import { NearestLookup } from '../codebooks.ts';

export interface KMeansOptions {
  /** number of centroids, 1..255 (ExCP: 2^b - 1) */
  k: number;
  /** elements to cluster (1 = clustered); default: the nonzero elements */
  mask?: Uint8Array;
  /**
   * Lloyd passes over the exact data after the histogram solution (default 0: on the fixtures they
   * changed nothing, on a 50M-value heavy-tailed synthetic tensor the error by 2e-7 relative, the
   * histogram's bins being 2^-11 of a value wide or finer; each pass costs about a quarter of the run).
   */
  refinePasses?: number;
  /** stored centroid precision (default 'f32'). 'f16' is what the ExCP reference stores; beware that
   *  second-moment values below 6e-8 then round to 0 (the zero-point problem). */
  centroidDtype?: 'f32' | 'f16';
}

export interface KMeansResult {
  /** ascending, distinct, at most k entries (fewer when there are fewer distinct values) */
  centroids: Float32Array;
  /** per element: 0 = not clustered, c >= 1 = centroids[c - 1] */
  codes: Uint8Array;
  /** sum of squared errors over the clustered elements (float64), against the stored centroids */
  sse: number;
  /** clustered elements */
  count: number;
}

const MAX_FINE_BITS = 20;
const TARGET_POINTS = 4096;
const HISTOGRAM_LLOYD_ITERS = 50;
const F32_MAX = 3.4028234663852886e38;

/** k-means of the selected values of x. Throws a RangeError naming the index of a NaN/Inf value. */
export function kmeans1d(x: Float32Array, opts: KMeansOptions): KMeansResult {
  checkKMeansOptions(x.length, opts);
  const { k, mask } = opts;
  const values = gather(x, mask);
  const range = bounds(values, x, mask);
  let centroids: Float64Array;
  if (values.length <= k) centroids = distinctValues(values);
  else {
    centroids = centroidsFromHistogram(fineHistogram(values, range), values.length, range, k);
    centroids = refineOnValues(values, centroids, opts.refinePasses ?? 0);
  }
  const stored = roundCentroids(centroids, opts.centroidDtype ?? 'f32');
  const { codes: dense, sse } = assign(values, stored);
  return { centroids: stored, codes: scatter(dense, x, mask), sse, count: values.length };
}

// The pieces below are exported for the GPU backend (webgpu/gpuKmeans.ts), which builds the fine
// histogram and assigns the codes on the device and runs the steps in between with this code.

/** Throws a RangeError for a k outside 1..255 or a mask of the wrong length. */
export function checkKMeansOptions(n: number, opts: KMeansOptions): void {
  const k = opts.k;
  if (!Number.isInteger(k) || k < 1 || k > 255) throw new RangeError(`k-means needs 1..255 centroids, got ${k}`);
  if (opts.mask && opts.mask.length !== n) throw new RangeError(`mask has ${opts.mask.length} elements, x has ${n}`);
}

/** Steps 2-4 (the histogram part): centroids from the fine histogram of `total` values spanning `range`. */
export function centroidsFromHistogram(fine: WeightedPoints, total: number, range: Range, k: number): Float64Array {
  const points = mergePoints(fine, total, range.max - range.min);
  return lloydOnBins(fine, optimalCentroids(points, k));
}

/** Step 4's exact Lloyd passes over the selected values (KMeansOptions.refinePasses). */
export function refineOnValues(values: Float32Array, centroids: Float64Array, passes: number): Float64Array {
  for (let p = 0; p < passes; p++) centroids = lloydPass(values, centroids);
  return centroids;
}

// ---- 0. the selected values, densely ----

// Selection without branches: element i is selected when mask[i] is nonzero ((m + 255) >>> 8) or,
// without a mask, when x[i] is not +-0 (((bits & 0x7fffffff) + 0x7fffffff) >>> 31). Two loops per
// helper rather than a selector callback: V8 keeps these tight only when the test is inline.

/** The selected values in order; every element is written and the cursor advances by 0 or 1. */
export function gather(x: Float32Array, mask: Uint8Array | undefined): Float32Array {
  const out = new Float32Array(x.length + 1);
  let j = 0;
  if (mask) {
    for (let i = 0; i < x.length; i++) {
      out[j] = x[i];
      j += (mask[i] + 255) >>> 8;
    }
  } else {
    const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
    for (let i = 0; i < x.length; i++) {
      out[j] = x[i];
      j += ((bits[i] & 0x7fffffff) + 0x7fffffff) >>> 31;
    }
  }
  // A sparse selection (ExCP keeps ~10% of the moments) should not pin a buffer the size of x.
  return j < x.length / 2 ? out.slice(0, j) : out.subarray(0, j);
}

/** Codes back at their elements' positions (0 elsewhere), with the same branch-free cursor. */
function scatter(dense: Uint8Array, x: Float32Array, mask: Uint8Array | undefined): Uint8Array {
  const padded = new Uint8Array(dense.length + 1);
  padded.set(dense);
  const codes = new Uint8Array(x.length);
  let j = 0;
  if (mask) {
    for (let i = 0; i < x.length; i++) {
      const s = (mask[i] + 255) >>> 8;
      codes[i] = padded[j] * s;
      j += s;
    }
  } else {
    const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
    for (let i = 0; i < x.length; i++) {
      const s = ((bits[i] & 0x7fffffff) + 0x7fffffff) >>> 31;
      codes[i] = padded[j] * s;
      j += s;
    }
  }
  return codes;
}

function isSelected(x: Float32Array, mask: Uint8Array | undefined, i: number): boolean {
  return mask ? mask[i] !== 0 : x[i] !== 0;
}

/** The smallest and largest selected value, ordered as their keys are (-0 below +0). */
export interface Range {
  min: number;
  max: number;
}

/** Bounds of the gathered values; a NaN/Inf among them is reported at its index in x. */
function bounds(values: Float32Array, x: Float32Array, mask: Uint8Array | undefined): Range {
  let min = Infinity, max = -Infinity, finite = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (!(Math.abs(v) <= F32_MAX)) finite = false;
  }
  if (!finite) {
    for (let i = 0; i < x.length; i++) {
      if (isSelected(x, mask, i) && !(Math.abs(x[i]) <= F32_MAX)) throw new RangeError(`k-means input has a non-finite value (${x[i]}) at element ${i}`);
    }
  }
  // -0 and +0 compare equal, so a zero bound is whichever zero came first; but the histogram orders
  // them by key (-0 just below +0), and a zero outside the bounds would fall outside every bin.
  if (min === 0) min = hasBits(values, 0x80000000) ? -0 : 0;
  if (max === 0) max = hasBits(values, 0) ? 0 : -0;
  return { min, max };
}

function hasBits(values: Float32Array, bits: number): boolean {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < u.length; i++) if (u[i] === bits) return true;
  return false;
}

function distinctValues(values: Float32Array): Float64Array {
  const vals = Float64Array.from(values).sort();
  let u = 0;
  for (let i = 0; i < vals.length; i++) if (i === 0 || vals[i] !== vals[u - 1]) vals[u++] = vals[i];
  return vals.slice(0, u);
}

// ---- 1. fine histogram over order-preserving keys ----

/** Weighted points (histogram bins, merged bins): nonempty, in ascending value order. */
export interface WeightedPoints {
  count: Float64Array;
  sum: Float64Array;
}

const keyF32 = new Float32Array(1);
const keyI32 = new Int32Array(keyF32.buffer);

/** Monotone int32 key of a float32 (negative floats have their magnitude bits flipped). */
function keyOf(v: number): number {
  keyF32[0] = v;
  const b = keyI32[0];
  return b ^ ((b >> 31) & 0x7fffffff);
}

/**
 * The fine histogram's bins: bin = (key - kMin) >> shift over keyOf's keys, at most 2^20 of them.
 * A bin spans at most 2^12 consecutive float32 patterns, so its values share an exponent, straddle
 * one binade boundary or are all subnormal: each is an integer of fewer than 2^25 units of the bin's
 * finest ulp, and a float64 sum of fewer than 2^28 of them is exact, in any order. The GPU's
 * integer bin sums (webgpu/gpuKmeans.ts) equal these float64 sums because of that.
 */
export interface HistogramGeometry {
  kMin: number;
  shift: number;
  bins: number;
}

export function histogramGeometry(range: Range): HistogramGeometry {
  const kMin = keyOf(range.min);
  const span = keyOf(range.max) - kMin + 1;
  let shift = 0;
  while (span / 2 ** shift > 2 ** MAX_FINE_BITS) shift++;
  return { kMin, shift, bins: Math.floor((span - 1) * 2 ** -shift) + 1 };
}

function fineHistogram(values: Float32Array, range: Range): WeightedPoints {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const { kMin, shift, bins } = histogramGeometry(range);
  const scale = 2 ** -shift;
  const count = new Float64Array(bins);
  const sum = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i];
    const bin = Math.floor(((b ^ ((b >> 31) & 0x7fffffff)) - kMin) * scale);
    count[bin]++;
    sum[bin] += values[i];
  }
  return nonemptyBins(count, sum);
}

/** The nonempty bins of a dense histogram, in order. */
export function nonemptyBins(count: Float64Array, sum: Float64Array): WeightedPoints {
  let used = 0;
  for (let b = 0; b < count.length; b++) if (count[b] > 0) used++;
  const out: WeightedPoints = { count: new Float64Array(used), sum: new Float64Array(used) };
  let at = 0;
  for (let b = 0; b < count.length; b++) {
    if (count[b] > 0) {
      out.count[at] = count[b];
      out.sum[at] = sum[b];
      at++;
    }
  }
  return out;
}

// ---- 2. merge to at most ~2 * TARGET_POINTS DP points ----

/**
 * Greedy merge of adjacent bins while the merged point holds at most count/TARGET_POINTS elements AND
 * spans at most range/TARGET_POINTS: a heavy bin stays alone and so does an isolated outlier, so the
 * DP never has to put distant values (or a large mass) into one point. Gives at most ~4 * TARGET_POINTS.
 */
function mergePoints(h: WeightedPoints, total: number, range: number): WeightedPoints {
  const n = h.count.length;
  if (n <= 2 * TARGET_POINTS) return h;
  const maxCount = total / TARGET_POINTS;
  const maxSpan = range / TARGET_POINTS;
  const count: number[] = [];
  const sum: number[] = [];
  let c = h.count[0], s = h.sum[0], firstMean = s / c;
  for (let b = 1; b < n; b++) {
    const bc = h.count[b];
    const bs = h.sum[b];
    if (c + bc <= maxCount && bs / bc - firstMean <= maxSpan) {
      c += bc;
      s += bs;
    } else {
      count.push(c);
      sum.push(s);
      c = bc;
      s = bs;
      firstMean = bs / bc;
    }
  }
  count.push(c);
  sum.push(s);
  return { count: Float64Array.from(count), sum: Float64Array.from(sum) };
}

// ---- 3. optimal k-means of weighted points (dynamic programming) ----

/**
 * Optimal partition of the sorted weighted points into at most k contiguous clusters (1-D optimal
 * clusters are contiguous), minimising the within-cluster squared error of the point means; returns
 * the cluster means. Values are centred on the global mean first to limit cancellation in Q - S^2/W.
 */
function optimalCentroids(h: WeightedPoints, k: number): Float64Array {
  const P = h.count.length;
  if (P <= k) return Float64Array.from(h.sum, (s, i) => s / h.count[i]);
  let totalW = 0, totalS = 0;
  for (let i = 0; i < P; i++) {
    totalW += h.count[i];
    totalS += h.sum[i];
  }
  const centre = totalS / totalW;
  const W = new Float64Array(P + 1);
  const S = new Float64Array(P + 1);
  const Q = new Float64Array(P + 1);
  for (let i = 0; i < P; i++) {
    const w = h.count[i];
    const mu = h.sum[i] / w - centre;
    W[i + 1] = W[i] + w;
    S[i + 1] = S[i] + w * mu;
    Q[i + 1] = Q[i] + w * mu * mu;
  }
  const cost = (a: number, b: number): number => {
    const w = W[b] - W[a];
    const s = S[b] - S[a];
    const c = Q[b] - Q[a] - (s * s) / w;
    return c > 0 ? c : 0;
  };
  // prev[i] = best cost of the first i points in (layer) clusters; split[layer][i] = start of the last one.
  let prev = new Float64Array(P + 1);
  for (let i = 1; i <= P; i++) prev[i] = cost(0, i);
  const split = new Int32Array(k * (P + 1));
  for (let layer = 1; layer < k; layer++) {
    const cur = new Float64Array(P + 1).fill(Infinity);
    const row = layer * (P + 1);
    // Divide and conquer: the best split point is monotone in i.
    const solve = (lo: number, hi: number, optLo: number, optHi: number): void => {
      if (lo > hi) return;
      const mid = (lo + hi) >> 1;
      let best = Infinity, bestJ = optLo;
      const top = Math.min(mid - 1, optHi);
      for (let j = optLo; j <= top; j++) {
        const c = prev[j] + cost(j, mid);
        if (c < best) {
          best = c;
          bestJ = j;
        }
      }
      cur[mid] = best;
      split[row + mid] = bestJ;
      solve(lo, mid - 1, optLo, bestJ);
      solve(mid + 1, hi, bestJ, optHi);
    };
    solve(layer + 1, P, layer, P - 1);
    prev = cur;
  }
  // Backtrack the last layer's splits.
  const means = new Float64Array(k);
  let end = P;
  for (let layer = k - 1; layer >= 0; layer--) {
    const begin = layer === 0 ? 0 : split[layer * (P + 1) + end];
    means[layer] = (S[end] - S[begin]) / (W[end] - W[begin]) + centre;
    end = begin;
  }
  return means;
}

// ---- 4. Lloyd refinement: on the fine histogram, then on the exact data ----

/** Lloyd's iterations with histogram bins as weighted points (their means); sorted in, sorted out. */
function lloydOnBins(h: WeightedPoints, centroids: Float64Array): Float64Array {
  let c = centroids.slice();
  const k = c.length;
  const n = h.count.length;
  const sumC = new Float64Array(k);
  const cntC = new Float64Array(k);
  for (let it = 0; it < HISTOGRAM_LLOYD_ITERS; it++) {
    sumC.fill(0);
    cntC.fill(0);
    let j = 0;
    for (let b = 0; b < n; b++) {
      const mu = h.sum[b] / h.count[b];
      // bins ascend, so the nearest centroid only moves right (ties to the lower centroid)
      while (j + 1 < k && c[j + 1] - mu < mu - c[j]) j++;
      sumC[j] += h.sum[b];
      cntC[j] += h.count[b];
    }
    let moved = false;
    const next = new Float64Array(k);
    for (let t = 0; t < k; t++) {
      next[t] = cntC[t] > 0 ? sumC[t] / cntC[t] : c[t];
      if (next[t] !== c[t]) moved = true;
    }
    c = next;
    if (!moved) break;
  }
  return c;
}

/** Centroids (sorted, possibly with duplicates) as a nearest-entry lookup; a single one gets a twin. */
export function lookupOf(centroids: Float32Array): NearestLookup {
  return new NearestLookup(centroids.length >= 2 ? centroids : Float32Array.of(centroids[0], centroids[0]));
}

/** One Lloyd pass over the exact data: assign to the nearest float32 centroid, move each to its mean. */
function lloydPass(values: Float32Array, centroids: Float64Array): Float64Array {
  const lookup = lookupOf(Float32Array.from(centroids));
  const k = lookup.slotValue.length;
  const sum = new Float64Array(k);
  const cnt = new Float64Array(k);
  const { threshold: th, start, grid } = lookup;
  const lo = grid[0], invWidth = grid[1], lastCell = grid[2];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = start[Math.max(0, Math.min(lastCell, (v - lo) * invWidth)) | 0]; // lookup.slot, inlined
    const s = c >= 0 ? c + Number(v >= th[c]) : lookup.slot(v);
    sum[s] += v;
    cnt[s]++;
  }
  const out = Float64Array.from(lookup.slotValue);
  for (let t = 0; t < k; t++) if (cnt[t] > 0) out[t] = sum[t] / cnt[t];
  return out;
}

// ---- 5. stored precision, codes and the exact error ----

/** The centroids as stored: rounded to `dtype`, sorted, duplicates removed. */
export function roundCentroids(c: Float64Array, dtype: 'f32' | 'f16'): Float32Array {
  const r = Float32Array.from(c, dtype === 'f16' ? roundToF16 : (v) => v).sort();
  let u = 0;
  for (let i = 0; i < r.length; i++) if (i === 0 || r[i] !== r[u - 1]) r[u++] = r[i];
  return r.slice(0, u);
}

/** Codes 1..k (nearest stored centroid) of the gathered values, and the exact squared error. */
function assign(values: Float32Array, centroids: Float32Array): { codes: Uint8Array; sse: number } {
  const codes = new Uint8Array(values.length);
  if (values.length === 0) return { codes, sse: 0 };
  const lookup = lookupOf(centroids);
  const vals = lookup.slotValue;
  const { threshold: th, start, grid } = lookup;
  const lo = grid[0], invWidth = grid[1], lastCell = grid[2];
  let sse = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = start[Math.max(0, Math.min(lastCell, (v - lo) * invWidth)) | 0]; // lookup.slot, inlined
    const s = c >= 0 ? c + Number(v >= th[c]) : lookup.slot(v);
    const d = v - vals[s];
    sse += d * d;
    codes[i] = s + 1;
  }
  return { codes, sse };
}

/** Rounds to the nearest IEEE half-precision value (ties to even), returned as a number. */
export function roundToF16(v: number): number {
  const a = Math.abs(v);
  if (!(a < 65520)) return a !== a ? NaN : Math.sign(v) * Infinity;
  // exponent of a (at least the subnormal floor), with Math.log2's rounding corrected either way
  let e = Math.max(-14, Math.floor(Math.log2(a)));
  if (e > -14 && 2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  let r = Math.round(q);
  if (r - q === 0.5 && r % 2 === 1) r--;
  return Math.sign(v) * r * ulp;
}
