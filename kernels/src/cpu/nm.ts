// Semi-structured N:M pruning (ALGORITHMS.md §3): in every group of M consecutive elements along a row
// of the 2-D view (the input dimension), keep the N with the largest importance (|x| by default) and
// report the error this causes.
//
// Choices: ties keep the lower index (a stable ranking); NaN importance ranks lowest (pruned first);
// a row whose length is not a multiple of M ends with a shorter group, which keeps min(N, its length)
// elements (hardware 2:4 needs cols % 4 == 0; the analysis layer should say when that fails).

export interface NMOptions {
  n: number;
  m: number;
  /** per-element importance (same length as x); default |x| */
  importance?: Float32Array;
  /** write the keep mask here (1 = kept), same length as x */
  mask?: Uint8Array;
}

export interface NMResult {
  n: number;
  m: number;
  kept: number;
  total: number;
  /** ||x - x * mask|| / ||x|| (0 for an all-zero x) */
  rel_err: number;
  /** sum of x^2 over all / pruned elements (float64), so chunk results combine */
  sumSq: number;
  prunedSumSq: number;
  /** importance summed over all / pruned elements (|x| when no importance was given) */
  importanceTotal: number;
  importanceRemoved: number;
}

/** Largest group this implementation ranks (its per-group scratch is fixed). */
export const NM_MAX_M = 64;

/**
 * N:M mask of `x` viewed as rows of `cols` elements (x.length a multiple of cols; a chunk of whole rows
 * is fine: results of chunks add up, see `mergeNM`).
 */
export function nmPrune(x: Float32Array, cols: number, opts: NMOptions): NMResult {
  const { n, m } = opts;
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 0 || m < 1 || n > m || m > NM_MAX_M) {
    throw new RangeError(`N:M needs integers 0 <= N <= M <= ${NM_MAX_M}, got ${n}:${m}`);
  }
  if (!Number.isInteger(cols) || cols < 1 || x.length % cols !== 0) throw new RangeError(`${x.length} elements are not whole rows of ${cols}`);
  const imp = opts.importance;
  if (imp && imp.length !== x.length) throw new RangeError(`importance has ${imp.length} elements, x has ${x.length}`);
  const mask = opts.mask;
  if (mask && mask.length !== x.length) throw new RangeError(`mask has ${mask.length} elements, x has ${x.length}`);

  const score = new Float64Array(m);
  const keep = new Uint8Array(m);
  let kept = 0, sumSq = 0, prunedSumSq = 0, impTotal = 0, impRemoved = 0;
  const rows = x.length / cols;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let g = 0; g < cols; g += m) {
      const base = rowStart + g;
      const len = Math.min(m, cols - g);
      for (let t = 0; t < len; t++) {
        const s = imp ? imp[base + t] : Math.abs(x[base + t]);
        score[t] = s === s ? s : -Infinity;
      }
      if (len === 4) rank4(score, n, keep);
      else rankGroup(score, len, Math.min(n, len), keep);
      for (let t = 0; t < len; t++) {
        const v = x[base + t];
        const sq = v * v;
        const s = score[t];
        const w = s === -Infinity ? 0 : s;
        const k = keep[t];
        const dropped = 1 - k;
        sumSq += sq;
        impTotal += w;
        kept += k;
        if (sq < Infinity && w < Infinity) {
          // Branch-free: which elements are kept is close to random.
          prunedSumSq += dropped * sq;
          impRemoved += dropped * w;
        } else if (dropped) {
          // NaN or Inf (rare): 0 * Inf is NaN, and a kept Inf must not reach the pruned sums.
          prunedSumSq += sq;
          impRemoved += w;
        }
        if (mask) mask[base + t] = k;
      }
    }
  }
  return finishNM(n, m, x.length, kept, sumSq, prunedSumSq, impTotal, impRemoved);
}

/**
 * keep[t] = 1 for the `n` highest scores among score[0..len), ties to the lower index: element t is
 * kept when fewer than n elements beat it (a higher score, or an equal one earlier). O(len^2)
 * branch-free compares: cheaper than sorting for groups of 4 or 8, and no mispredictions.
 */
function rankGroup(score: Float64Array, len: number, n: number, keep: Uint8Array): void {
  for (let t = 0; t < len; t++) {
    const s = score[t];
    let beaten = 0;
    for (let u = 0; u < t; u++) beaten += Number(score[u] >= s);
    for (let u = t + 1; u < len; u++) beaten += Number(score[u] > s);
    keep[t] = Number(beaten < n);
  }
}

/** rankGroup for a full group of 4 (2:4, the common case), unrolled. */
function rank4(score: Float64Array, n: number, keep: Uint8Array): void {
  const s0 = score[0], s1 = score[1], s2 = score[2], s3 = score[3];
  keep[0] = +(+(s1 > s0) + +(s2 > s0) + +(s3 > s0) < n);
  keep[1] = +(+(s0 >= s1) + +(s2 > s1) + +(s3 > s1) < n);
  keep[2] = +(+(s0 >= s2) + +(s1 >= s2) + +(s3 > s2) < n);
  keep[3] = +(+(s0 >= s3) + +(s1 >= s3) + +(s2 >= s3) < n);
}

function finishNM(n: number, m: number, total: number, kept: number, sumSq: number, prunedSumSq: number, impTotal: number, impRemoved: number): NMResult {
  const rel = sumSq > 0 ? Math.sqrt(prunedSumSq / sumSq) : 0;
  return { n, m, kept, total, rel_err: rel, sumSq, prunedSumSq, importanceTotal: impTotal, importanceRemoved: impRemoved };
}

/** Combines results of disjoint chunks of one tensor (same N:M). */
export function mergeNM(a: NMResult, b: NMResult): NMResult {
  if (a.n !== b.n || a.m !== b.m) throw new RangeError(`cannot merge ${a.n}:${a.m} with ${b.n}:${b.m}`);
  return finishNM(a.n, a.m, a.total + b.total, a.kept + b.kept, a.sumSq + b.sumSq, a.prunedSumSq + b.prunedSumSq, a.importanceTotal + b.importanceTotal, a.importanceRemoved + b.importanceRemoved);
}
