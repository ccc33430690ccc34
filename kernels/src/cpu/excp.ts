// ExCP's element-wise step (ALGORITHMS.md §1, steps 1-3): the weight residual against the reference,
// the weight mask guided by the second moment, and the joint momentum mask, with kept counts.
//
// Arithmetic as PyTorch's, so that kept counts match exactly: dW = W - R rounded to float32; means
// accumulated in float64; thresholds rounded to float32 before the comparisons.
//   thr_w = fround(median(|dW|) * min(2.5, alpha / sqrt(mean(v))))   (lower median, as torch.median)
//   thr_m = fround(beta * mean(|m|))
//   keep dW where |dW| > thr_w;  keep m (and v) where |m| > thr_m AND dW was kept.

export interface ExcpOptions {
  /** default 5e-5 */
  alpha?: number;
  /** default 2.0 */
  beta?: number;
  /**
   * The lower median of |dW| when already known (e.g. from the select kernel, on the GPU);
   * otherwise it is found here (two counting passes over dW).
   */
  medianAbsResidual?: number;
  /**
   * Use this weight threshold instead of the v-guided one: for weight-only checkpoints (no v), where
   * the caller picks a magnitude threshold (the report must say so).
   */
  weightThreshold?: number;
}

export interface ExcpStepResult {
  numel: number;
  /** dW = fround(W - R) with the pruned entries set to 0 */
  residual: Float32Array;
  /** 1 where dW is kept */
  weightMask: Uint8Array;
  /** 1 where m (and v) are kept; absent without m */
  momentMask?: Uint8Array;
  keptW: number;
  keptM?: number;
  /** float32 thresholds as compared */
  thresholdW: number;
  thresholdM?: number;
  /** inputs of the thresholds (NaN when not computed) */
  medianAbsResidual: number;
  meanV: number;
  meanAbsM: number;
}

export const EXCP_DEFAULT_ALPHA = 5e-5;
export const EXCP_DEFAULT_BETA = 2.0;
/** the cap of the v-guided factor */
const MAX_FACTOR = 2.5;

/**
 * One tensor's ExCP step. `w`, `r` (weights now and the reference weights), `m`, `v` (Adam moments
 * now) are float32 of the same length (upcast BF16/F16 first). `v` is needed unless
 * `opts.weightThreshold` is given.
 */
export function excpStep(w: Float32Array, r: Float32Array, m: Float32Array | undefined, v: Float32Array | undefined, opts: ExcpOptions = {}): ExcpStepResult {
  const n = w.length;
  checkExcpInputs(n, r.length, m?.length, v?.length, opts);
  const residual = new Float32Array(n);
  for (let i = 0; i < n; i++) residual[i] = w[i] - r[i]; // the store rounds to float32

  let median = NaN, meanV = NaN, thresholdW: number;
  if (opts.weightThreshold !== undefined) thresholdW = Math.fround(opts.weightThreshold);
  else {
    median = opts.medianAbsResidual ?? lowerMedianAbs(residual);
    meanV = mean(v!);
    thresholdW = vGuidedThreshold(n, median, meanV, opts.alpha);
  }

  // The masks are computed on float bits, without branches: which elements are kept is close to
  // random, and mispredicted branches made these loops 4x slower.
  const weightMask = new Uint8Array(n);
  const dBits = new Int32Array(residual.buffer, residual.byteOffset, n);
  const tW = thresholdBits(thresholdW);
  let keptW = 0;
  for (let i = 0; i < n; i++) {
    const a = dBits[i] & 0x7fffffff;
    const keep = ((tW - a) >>> 31) & ((a - NAN_BITS_MIN) >>> 31);
    weightMask[i] = keep;
    keptW += keep;
    dBits[i] &= -keep; // +0 where pruned
  }
  const out: ExcpStepResult = { numel: n, residual, weightMask, keptW, thresholdW, medianAbsResidual: median, meanV, meanAbsM: NaN };
  if (m) {
    const meanAbsM = meanAbs(m);
    const thresholdM = momentThreshold(meanAbsM, opts.beta);
    const mBits = new Int32Array(m.buffer, m.byteOffset, n);
    const tM = thresholdBits(thresholdM);
    const momentMask = new Uint8Array(n);
    let keptM = 0;
    for (let i = 0; i < n; i++) {
      const a = mBits[i] & 0x7fffffff;
      const keep = weightMask[i] & ((tM - a) >>> 31) & ((a - NAN_BITS_MIN) >>> 31);
      momentMask[i] = keep;
      keptM += keep;
    }
    Object.assign(out, { momentMask, keptM, thresholdM, meanAbsM });
  }
  return out;
}

/** The length checks of excpStep (the GPU twin makes the same ones, with the same messages). */
export function checkExcpInputs(n: number, r: number, m: number | undefined, v: number | undefined, opts: ExcpOptions): void {
  for (const [name, len] of [['reference', r], ['exp_avg', m], ['exp_avg_sq', v]] as const) {
    if (len !== undefined && len !== n) throw new RangeError(`ExCP: ${name} has ${len} elements, the weights ${n}`);
  }
  if (opts.weightThreshold === undefined && v === undefined) {
    throw new RangeError('ExCP: the v-guided weight threshold needs exp_avg_sq (or pass weightThreshold)');
  }
}

/** thr_w = fround(median(|dW|) * min(2.5, alpha / sqrt(mean(v)))), 0 for an empty tensor. */
export function vGuidedThreshold(n: number, median: number, meanV: number, alpha = EXCP_DEFAULT_ALPHA): number {
  // alpha / sqrt(0) is +Infinity: the cap applies, as in PyTorch.
  return n > 0 ? Math.fround(median * Math.min(MAX_FACTOR, alpha / Math.sqrt(meanV))) : 0;
}

/** thr_m = fround(beta * mean(|m|)). */
export function momentThreshold(meanAbsM: number, beta = EXCP_DEFAULT_BETA): number {
  return Math.fround(beta * meanAbsM);
}

// |x| > t on float32 bits: for a = bits(|x|) (sign cleared) and t >= 0, the bit patterns order like
// the values, so |x| > t  <=>  tBits - a < 0  (bit 31 of the difference, which stays within int32);
// NaN (a >= NAN_BITS_MIN) never passes, +Inf does, as in PyTorch.
const NAN_BITS_MIN = 0x7f800001;
const scratchF32 = new Float32Array(1);
const scratchI32 = new Int32Array(scratchF32.buffer);

/** Bits to compare against: a negative threshold passes every non-NaN value (-1 - a < 0), NaN none. */
export function thresholdBits(t: number): number {
  if (t !== t) return 0x7fffffff;
  if (t < 0) return -1;
  scratchF32[0] = t === 0 ? 0 : t; // -0 counts as +0
  return scratchI32[0];
}

function mean(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length > 0 ? s / a.length : NaN;
}

function meanAbs(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return a.length > 0 ? s / a.length : NaN;
}

/**
 * The lower median of |x| (rank floor((n-1)/2), as torch.median), NaN ranking last; NaN when empty.
 * Two counting passes of a radix selection over the float bits of |x| (31-bit keys that order like
 * the magnitudes: 16 high bits, then the 15 low bits within the chosen bucket), no copy, no sort.
 * Kernel 3 (select.ts) computes the same value on either backend; callers that have it pass
 * `medianAbsResidual` and skip this.
 */
export function lowerMedianAbs(x: Float32Array): number {
  const n = x.length;
  if (n === 0) return NaN;
  const rank = Math.floor((n - 1) / 2);
  const bits = new Uint32Array(x.buffer, x.byteOffset, n);
  const high = new Float64Array(1 << 16);
  for (let i = 0; i < n; i++) high[(bits[i] & 0x7fffffff) >>> 15]++;
  const [bucket, within] = pick(high, rank);
  const low = new Float64Array(1 << 15);
  for (let i = 0; i < n; i++) {
    const key = bits[i] & 0x7fffffff;
    if (key >>> 15 === bucket) low[key & 0x7fff]++;
  }
  const [digit] = pick(low, within);
  const out = new Uint32Array(1);
  out[0] = (bucket << 15) | digit;
  return new Float32Array(out.buffer)[0];
}

/** The digit whose cumulative count passes `rank`, and the rank left within it. */
function pick(counts: Float64Array, rank: number): [number, number] {
  let before = 0;
  for (let d = 0; d < counts.length; d++) {
    if (before + counts[d] > rank) return [d, rank - before];
    before += counts[d];
  }
  throw new Error(`internal: counts add up to ${before}, not above rank ${rank}`);
}
