// Error metrics of a reconstruction x_hat of x (ALGORITHMS.md §2), as partial sums that combine
// exactly across chunks and workers, then a finish step. Shared by quantization and factorization.

export interface QuantPartial {
  /** finite elements seen */
  count: number;
  /** elements left out because x was NaN or ±Inf */
  nonfinite: number;
  /** sum of x^2, sum of (x - x_hat)^2 (float64) */
  sumSq: number;
  errSq: number;
  maxAbsErr: number;
  /** x_hat exactly 0 (either sign) */
  zeros: number;
  /** sum of h(v)^2 and (h(v) - h(v_hat))^2 with h(v) = 1 / (sqrt(v) + 1e-6); second moments only */
  hSq: number;
  hErrSq: number;
}

export function newQuantPartial(): QuantPartial {
  return { count: 0, nonfinite: 0, sumSq: 0, errSq: 0, maxAbsErr: 0, zeros: 0, hSq: 0, hErrSq: 0 };
}

/** a += b (partials of disjoint parts of one tensor). */
export function mergeQuantPartial(a: QuantPartial, b: QuantPartial): QuantPartial {
  a.count += b.count;
  a.nonfinite += b.nonfinite;
  a.sumSq += b.sumSq;
  a.errSq += b.errSq;
  if (b.maxAbsErr > a.maxAbsErr) a.maxAbsErr = b.maxAbsErr;
  a.zeros += b.zeros;
  a.hSq += b.hSq;
  a.hErrSq += b.hErrSq;
  return a;
}

/** Adam's update is proportional to h(v); its eps as in the reference. */
export const UPDATE_EPS = 1e-6;

/**
 * Adds the errors of x[xFrom..xFrom+count) against xHat[hatFrom..hatFrom+count). Non-finite x are
 * skipped and counted. Used where the reconstruction is produced separately (factorization).
 * `sqrtHat` (same indexing as xHat), when given, holds sqrt(x_hat) computed more cheaply by the caller:
 * V8's Math.sqrt costs several times a multiplication here.
 */
export function addSpanError(
  acc: QuantPartial,
  x: Float32Array,
  xFrom: number,
  xHat: Float32Array,
  hatFrom: number,
  count: number,
  secondMoment: boolean,
  sqrtHat: Float64Array | null = null,
): void {
  const eps = UPDATE_EPS;
  let sumSq = 0, errSq = 0, maxErr = acc.maxAbsErr, zeros = 0, seen = 0, nonfinite = 0, hSq = 0, hErrSq = 0;
  for (let j = 0; j < count; j++) {
    const v = x[xFrom + j];
    if (!(Math.abs(v) <= 3.4028234663852886e38)) {
      nonfinite++;
      continue;
    }
    const q = xHat[hatFrom + j];
    const d = v - q;
    seen++;
    sumSq += v * v;
    errSq += d * d;
    maxErr = Math.max(maxErr, Math.abs(d));
    zeros += Number(q === 0);
    if (secondMoment) {
      // one division for both terms, as in quantError.ts
      const a = Math.sqrt(v) + eps;
      const b = (sqrtHat !== null ? sqrtHat[hatFrom + j] : Math.sqrt(q)) + eps;
      const ab = a * b;
      const r = 1 / (ab * ab);
      hSq += b * b * r;
      hErrSq += (b - a) * (b - a) * r;
    }
  }
  addSpanSums(acc, seen, nonfinite, sumSq, errSq, maxErr, zeros, hSq, hErrSq);
}

/**
 * Adds one span's sums, which hot loops keep in locals, to `acc`. `maxAbsErr` is the span loop's
 * running maximum, started from acc.maxAbsErr.
 */
export function addSpanSums(
  acc: QuantPartial,
  count: number,
  nonfinite: number,
  sumSq: number,
  errSq: number,
  maxAbsErr: number,
  zeros: number,
  hSq: number,
  hErrSq: number,
): void {
  acc.count += count;
  acc.nonfinite += nonfinite;
  acc.sumSq += sumSq;
  acc.errSq += errSq;
  acc.maxAbsErr = maxAbsErr;
  acc.zeros += zeros;
  acc.hSq += hSq;
  acc.hErrSq += hErrSq;
}

export interface QuantErrorResult {
  /** ||x - x_hat|| / ||x|| (0 when x is all zero and reconstructed exactly) */
  rel_err: number;
  max_abs_err: number;
  /** share of x_hat exactly 0 */
  zero_frac: number;
  /** ||h(v) - h(v_hat)|| / ||h(v)||, second moments only */
  update_rel_err?: number;
  /** storage per element: code bits + 32-bit scales (or factors) spread over the elements */
  bits_per_element: number;
  /** elements measured / left out as non-finite */
  count: number;
  nonfinite: number;
  /** the scheme actually used (rank-1 on a vector falls back to block 128) */
  scheme: string;
}

function ratio(num: number, den: number): number {
  if (den > 0) return Math.sqrt(num / den);
  return num > 0 ? Infinity : 0;
}

export function finishQuantError(
  acc: QuantPartial,
  info: { codeBits: number; scaleCount: number; scheme: string; secondMoment: boolean },
): QuantErrorResult {
  const n = acc.count + acc.nonfinite;
  const out: QuantErrorResult = {
    rel_err: ratio(acc.errSq, acc.sumSq),
    max_abs_err: acc.maxAbsErr,
    zero_frac: acc.count > 0 ? acc.zeros / acc.count : 0,
    bits_per_element: n > 0 ? info.codeBits + (32 * info.scaleCount) / n : 0,
    count: acc.count,
    nonfinite: acc.nonfinite,
    scheme: info.scheme,
  };
  if (info.secondMoment) out.update_rel_err = ratio(acc.hErrSq, acc.hSq);
  return out;
}
