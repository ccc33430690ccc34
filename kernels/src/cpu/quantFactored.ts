// Adafactor-style factorization of a second moment (ALGORITHMS.md §2 and §1.6):
// v_ij ~ r_i * c_j / sum(r), r the row sums and c the column sums of the 2-D view; a tensor of rank < 2
// is approximated by its mean. No codebook, so no zero point; n + m float32 numbers per matrix.
//
// Choices: sums accumulate in float64 over finite values, the factors are rounded to float32 (what
// gets stored), sum(r) is the float64 sum of the stored r, and each estimate is rounded to float32.
// An all-zero tensor (sum(r) = 0) is estimated as 0.
import { view2d } from './profiles.ts';
import { addSpanError, finishQuantError, newQuantPartial, type QuantErrorResult } from './quantMetrics.ts';

const F32_MAX = 3.4028234663852886e38;

export interface Factors {
  rows: number;
  cols: number;
  /** row sums r (rank >= 2) or the single mean (rank < 2, cols = 0 marks it) */
  row: Float32Array;
  col: Float32Array;
  /** float64 sum of `row` (the denominator) */
  total: number;
}

/** The stored factors of `v` with the given shape. */
export function factorize(v: Float32Array, shape: readonly number[]): Factors {
  if (shape.length < 2) {
    let sum = 0, count = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (Math.abs(x) <= F32_MAX) {
        sum += x;
        count++;
      }
    }
    const mean = Math.fround(count > 0 ? sum / count : 0);
    return { rows: v.length, cols: 0, row: Float32Array.of(mean), col: new Float32Array(0), total: mean };
  }
  const { rows, cols } = view2d(shape);
  if (rows * cols !== v.length) throw new RangeError(`shape [${shape.join(', ')}] does not match ${v.length} elements`);
  const rowSum = new Float64Array(rows);
  const colSum = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const base = r * cols;
    for (let j = 0; j < cols; j++) {
      const x = v[base + j];
      if (Math.abs(x) <= F32_MAX) {
        s += x;
        colSum[j] += x;
      }
    }
    rowSum[r] = s;
  }
  const row = Float32Array.from(rowSum);
  const col = Float32Array.from(colSum);
  let total = 0;
  for (let r = 0; r < rows; r++) total += row[r];
  return { rows, cols, row, col, total };
}

/** Row r of the reconstruction, r_i * c_j / sum(r) rounded to float32, into out[at..at+cols). */
export function expandFactorRow(f: Factors, r: number, out: Float32Array, at = 0): void {
  const ri = f.total !== 0 ? f.row[r] / f.total : 0;
  const col = f.col;
  for (let j = 0; j < f.cols; j++) out[at + j] = ri * col[j];
}

/** Elements per pass over a vector's constant estimate. */
const VECTOR_SPAN = 1 << 14;

/**
 * Error of the factorized estimate of `v` (metrics of quantMetrics.ts; `update_rel_err` when
 * `secondMoment`, the default, since this is meant for Adam's v). Storage: 32 (n + m) bits per matrix.
 * The estimate goes to `dequantized` when given (NaN where v was not finite).
 */
export function factoredError(
  v: Float32Array,
  shape: readonly number[],
  opts: { secondMoment?: boolean; dequantized?: Float32Array } = {},
): QuantErrorResult {
  const second = opts.secondMoment ?? true;
  const out = opts.dequantized;
  if (out && out.length !== v.length) throw new RangeError(`dequantized buffer has ${out.length} elements, expected ${v.length}`);
  const f = factorize(v, shape);
  const acc = newQuantPartial();
  if (f.cols === 0) {
    // A vector: the constant estimate, compared span by span.
    const span = new Float32Array(Math.min(VECTOR_SPAN, v.length)).fill(f.row[0]);
    for (let at = 0; at < v.length; at += span.length) {
      const count = Math.min(span.length, v.length - at);
      addSpanError(acc, v, at, span, 0, count, second);
      if (out) out.set(span.subarray(0, count), at);
    }
  } else {
    // Row by row through reused buffers; sqrt of the estimate as sqrt(r_i / sum r) * sqrt(c_j).
    const rowBuf = new Float32Array(f.cols);
    const rowSqrt = new Float64Array(f.cols);
    const colSqrt = Float64Array.from(f.col, Math.sqrt);
    for (let r = 0; r < f.rows; r++) {
      expandFactorRow(f, r, rowBuf);
      const ri = Math.sqrt(f.total !== 0 ? f.row[r] / f.total : 0);
      for (let j = 0; j < f.cols; j++) rowSqrt[j] = ri * colSqrt[j];
      addSpanError(acc, v, r * f.cols, rowBuf, 0, f.cols, second, rowSqrt);
      if (out) out.set(rowBuf, r * f.cols);
    }
  }
  if (out) for (let i = 0; i < v.length; i++) if (!(Math.abs(v[i]) <= F32_MAX)) out[i] = NaN;
  const stored = f.cols === 0 ? 1 : f.rows + f.cols;
  return finishQuantError(acc, { codeBits: 0, scaleCount: stored, scheme: 'factored', secondMoment: second });
}
