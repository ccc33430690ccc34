// Quantize -> dequantize -> error (ALGORITHMS.md §2) for any sorted 2^b-entry codebook, with
// per-tensor, block-wise or rank-1 normalization.
//
// Arithmetic follows PyTorch on float32 tensors, so the numbers match the reference:
//   x_n = fround(x / scale)  (float32 division), k = argmin_k |x_n - T_k| (ties: lower index),
//   x_hat = fround(T_k * scale);
// error sums are accumulated in float64. A zero scale (an all-zero block, row or column) gives
// x_hat = 0, as PyTorch's 0/0 -> NaN -> T[idx] * 0 does. Non-finite inputs (NaN, ±Inf) are left out
// of the scales and of every metric, counted in `nonfinite`, and dequantize to NaN.
import { NearestLookup, type CodebookKind } from '../codebooks.ts';
import { view2d, rowColProfiles } from './profiles.ts';
import { addSpanSums, finishQuantError, newQuantPartial, UPDATE_EPS, type QuantErrorResult, type QuantPartial } from './quantMetrics.ts';

export type { QuantErrorResult, QuantPartial } from './quantMetrics.ts';

const F32_MAX = 3.4028234663852886e38;

export type Normalization =
  | { kind: 'tensor' }
  | { kind: 'block'; blockSize: number }
  /** r_i = max_j |x_ij|, c_j = max_i |x_ij|, scale min(r_i, c_j) on the 2-D view; rank < 2 falls back to block 128 */
  | { kind: 'rank1' };

export interface QuantErrorOptions {
  /** sorted codebook of 2^b entries (see codebooks.ts) */
  codebook: Float32Array;
  normalization: Normalization;
  /** compute `update_rel_err` with h(v) = 1 / (sqrt(v) + 1e-6) (second moments) */
  secondMoment?: boolean;
  /** write x_hat here (length n); NaN where x was not finite */
  dequantized?: Float32Array;
}

/** Tensors of rank < 2 fall back from rank-1 to block-wise B = 128 (ALGORITHMS.md §2). */
export const RANK1_FALLBACK_BLOCK = 128;

/** The 4-bit optimizer recipe (ALGORITHMS.md §2): first moment B128 + signed DE, second rank-1 + linear without zero. */
export const RECIPE_4BIT = {
  exp_avg: { codebook: 'de-signed', bits: 4, normalization: { kind: 'block', blockSize: 128 } },
  exp_avg_sq: { codebook: 'linear-nozero', bits: 4, normalization: { kind: 'rank1' } },
} as const satisfies Record<string, { codebook: CodebookKind; bits: number; normalization: Normalization }>;

function codeBits(codebook: Float32Array): number {
  const bits = Math.log2(codebook.length);
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new RangeError(`codebook must have 2^b entries, got ${codebook.length}`);
  return bits;
}

/** What a quantization pass needs besides the data: built once per tensor (or per worker). */
export class QuantKernel {
  readonly lookup: NearestLookup;
  /** sqrt of each codebook slot value: sqrt(x_hat) = sqrt(T_k) * sqrt(scale) saves a square root per element */
  readonly slotSqrt: Float64Array;
  /** x_hat goes here (same indexing as x); empty when not wanted (always a Float32Array: a stable shape for V8) */
  readonly out: Float32Array;

  constructor(
    codebook: Float32Array,
    readonly secondMoment: boolean,
    out?: Float32Array,
  ) {
    this.lookup = new NearestLookup(codebook);
    this.slotSqrt = Float64Array.from(this.lookup.slotValue, Math.sqrt);
    this.out = out ?? new Float32Array(0);
  }
}

/**
 * Checks a call's arguments (shape, output buffer, codebook size, block size) and returns the code
 * bits and the normalization actually used (rank-1 on a tensor of rank < 2 falls back to block 128).
 * Shared by both backends so that they refuse the same calls with the same messages.
 */
export function checkQuantArguments(n: number, shape: readonly number[], opts: QuantErrorOptions): { bits: number; norm: Normalization } {
  const expected = shape.reduce((a, b) => a * b, 1);
  if (expected !== n) throw new RangeError(`shape [${shape.join(', ')}] has ${expected} elements, the data ${n}`);
  if (opts.dequantized && opts.dequantized.length !== n) throw new RangeError(`dequantized buffer has ${opts.dequantized.length} elements, expected ${n}`);
  const bits = codeBits(opts.codebook);
  let norm = opts.normalization;
  if (norm.kind === 'rank1' && shape.length < 2) norm = { kind: 'block', blockSize: RANK1_FALLBACK_BLOCK };
  if (norm.kind === 'block' && (!Number.isInteger(norm.blockSize) || norm.blockSize < 1)) throw new RangeError(`block size must be a positive integer, got ${norm.blockSize}`);
  if (norm.kind !== 'tensor' && norm.kind !== 'block' && norm.kind !== 'rank1') throw new RangeError(`unknown normalization ${JSON.stringify(norm)}`);
  return { bits, norm };
}

/** Scales stored for a tensor of n elements and the given shape (32 bits each). */
export function scaleCount(norm: Normalization, n: number, shape: readonly number[]): number {
  if (norm.kind === 'tensor') return n > 0 ? 1 : 0;
  if (norm.kind === 'block') return Math.ceil(n / norm.blockSize);
  const { rows, cols } = view2d(shape);
  return rows + cols;
}

/** Quantization error of a whole tensor of the given shape (row-major). */
export function quantizeError(x: Float32Array, shape: readonly number[], opts: QuantErrorOptions): QuantErrorResult {
  const n = x.length;
  const { bits, norm } = checkQuantArguments(n, shape, opts);
  const second = opts.secondMoment ?? false;
  const kernel = new QuantKernel(opts.codebook, second, opts.dequantized);
  const acc = newQuantPartial();
  switch (norm.kind) {
    case 'tensor':
      quantizeSpan(kernel, x, 0, n, finiteAbsMax(x, 0, n), acc);
      break;
    case 'block':
      quantizeBlocks(kernel, x, norm.blockSize, acc);
      break;
    case 'rank1': {
      const { rows, cols } = view2d(shape);
      const p = rowColProfiles(x, rows, cols);
      quantizeRank1Rows(kernel, x, 0, cols, p.rowMaxAbs, p.colMaxAbs, acc);
      break;
    }
  }
  return finishQuantError(acc, { codeBits: bits, scaleCount: scaleCount(norm, n, shape), scheme: schemeName(norm), secondMoment: second });
}

export function schemeName(norm: Normalization): string {
  return norm.kind === 'block' ? `block${norm.blockSize}` : norm.kind;
}

/** max |x| over x[from..to) ignoring non-finite values (they would make every scale useless). */
export function finiteAbsMax(x: Float32Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) {
    const a = Math.abs(x[i]);
    if (a > m && a <= F32_MAX) m = a;
  }
  return m;
}

/**
 * Block-wise quantization of `x` (a whole tensor, or a chunk that starts on a block boundary):
 * consecutive blocks of `blockSize` elements, the last one possibly shorter, each scaled by its max |x|.
 */
export function quantizeBlocks(k: QuantKernel, x: Float32Array, blockSize: number, acc: QuantPartial): void {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`block size must be a positive integer, got ${blockSize}`);
  for (let from = 0; from < x.length; from += blockSize) {
    const count = Math.min(blockSize, x.length - from);
    quantizeSpan(k, x, from, count, finiteAbsMax(x, from, from + count), acc);
  }
}

/**
 * Rank-1 quantization of whole rows: `x` holds rows starting at row `firstRow` of a view with `cols`
 * columns (x.length a multiple of cols); `rowMax`/`colMax` are the max-abs profiles of the WHOLE tensor.
 */
export function quantizeRank1Rows(
  k: QuantKernel,
  x: Float32Array,
  firstRow: number,
  cols: number,
  rowMax: Float32Array,
  colMax: Float32Array,
  acc: QuantPartial,
): void {
  if (cols === 0) return;
  if (x.length % cols !== 0) throw new RangeError(`rank-1 chunk of ${x.length} elements is not whole rows of ${cols}`);
  const rows = x.length / cols;
  const colSqrt = Float64Array.from(colMax, Math.sqrt);
  for (let r = 0; r < rows; r++) quantizeSpan(k, x, r * cols, cols, rowMax[firstRow + r], acc, colMax, colSqrt);
}

/**
 * The hot loop. Quantizes x[from..from+count) with scale `scale`, or, when `colScale` is given (one
 * row of rank-1), min(scale, colScale[j]) for element from+j (colSqrt = sqrt(colScale): the min of
 * the roots is exactly the root of the min). Adds the errors to `acc` and writes x_hat to k.out.
 * Written for V8: accumulators, constants and the lookup grid in locals (`slot` inlined), the grid
 * clamp on integers and counts as Number(bool) where the data decides (mispredictions cost more than
 * the arithmetic), plain compares for min/max (Math.min/max pay for NaN and -0 handling), sqrt(x_hat)
 * as sqrt(T_k) * sqrt(s) (within an ulp of the root of the rounded product), and h(v)^2 and
 * (h(v) - h(x_hat))^2 with one division: with h = 1/a, h_hat = 1/b they are b^2 r and (b - a)^2 r,
 * r = 1/(ab)^2.
 */
export function quantizeSpan(
  k: QuantKernel,
  x: Float32Array,
  from: number,
  count: number,
  scale: number,
  acc: QuantPartial,
  colScale: Float32Array | null = null,
  colSqrt: Float64Array | null = null,
): void {
  const lookup = k.lookup;
  const T = lookup.slotValue;
  const th = lookup.threshold;
  const start = lookup.start;
  const lo = lookup.grid[0];
  const invWidth = lookup.grid[1];
  const lastCell = lookup.grid[2] | 0;
  const wide = invWidth * (1 + Math.abs(lo)) >= 2 ** 30;
  const second = k.secondMoment;
  const out = k.out;
  const writeOut = out.length > 0;
  const sqrtT = k.slotSqrt;
  const sqrtScale = Math.sqrt(scale);
  const eps = UPDATE_EPS; // a local: an imported binding read in the loop is a getter call under CommonJS (tsx)
  let sumSq = 0, errSq = 0, maxErr = acc.maxAbsErr, zeros = 0, nonfinite = 0, hSq = 0, hErrSq = 0;
  for (let j = 0; j < count; j++) {
    const i = from + j;
    const v = x[i];
    if (!(Math.abs(v) <= F32_MAX)) {
      nonfinite++;
      if (writeOut) out[i] = NaN;
      continue;
    }
    let s = scale;
    let rs = sqrtScale;
    if (colScale !== null && colSqrt !== null) {
      const cs = colScale[j];
      const cr = colSqrt[j];
      s = cs < s ? cs : s;
      rs = cr < rs ? cr : rs;
    }
    let q = 0;
    let sq = 0;
    if (s > 0) {
      const xn = Math.fround(v / s);
      // The grid cell, clamped on integers: Math.max(0, ...) branches on data (x_n below the first
      // entry), and mispredictions cost more than the arithmetic. |x_n| <= 1, so the truncation
      // cannot wrap unless the grid is extremely fine (`wide`: then the lookup's own clamp).
      const t = ((xn - lo) * invWidth) | 0;
      const c = wide ? -1 : start[Math.min(t & ~(t >> 31), lastCell)];
      const slot = c >= 0 ? c + Number(xn >= th[c]) : lookup.slot(xn);
      q = Math.fround(T[slot] * s);
      sq = sqrtT[slot] * rs;
    }
    if (writeOut) out[i] = q;
    const d = v - q;
    const ad = Math.abs(d);
    sumSq += v * v;
    errSq += d * d;
    if (ad > maxErr) maxErr = ad; // not Math.max: its NaN and -0 handling costs branches, and d is a number
    zeros += Number(q === 0);
    if (second) {
      const a = Math.sqrt(v) + eps;
      const b = sq + eps;
      const ab = a * b;
      const r = 1 / (ab * ab);
      hSq += b * b * r;
      hErrSq += (b - a) * (b - a) * r;
    }
  }
  addSpanSums(acc, count - nonfinite, nonfinite, sumSq, errSq, maxErr, zeros, hSq, hErrSq);
}
