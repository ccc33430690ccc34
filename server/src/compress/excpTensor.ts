// One parameter tensor in ExCP mode (ALGORITHMS.md §1): residual against the reference, joint
// weight/momentum pruning, k-means codes for the kept values, and the factorized estimate of v that
// fills its pruned entries on restore (§1.6). Pure numbers in, byte streams out, and back.
//
// Streams (one section each, so a checksum error names the part):
//   w: centroids of the kept residual + codes for every element (code 0 = pruned);
//   m: centroids + codes at the positions whose residual was kept (m's mask is a subset of w's);
//   v: centroids + codes at the positions whose m was kept (v shares m's mask), and the factors of
//      the original v (row and column sums, or the mean of a vector).
import type { Backend } from '../../../kernels/src/index.ts';
import { factorize, expandFactorRow, type Factors } from '../../../kernels/src/cpu/quantFactored.ts';
import { decodeCodes, decodeFloatPlanes, encodeCodes, encodeFloatPlanes } from './codec/index.ts';
import { bytesF32, f32Bytes, frame, unframe } from './frame.ts';
import { fromFloat32, roundToDtype } from '../formats/fromFloat32.ts';
import { toFloat32 } from '../formats/dtype.ts';
import type { DType } from '../formats/types.ts';

export interface ExcpParams {
  alpha: number;
  beta: number;
  /** bits of the weight-residual codes and of the moment codes */
  bits: number;
  bitsMoments: number;
  /** restore pruned v entries as 0, as the published recipe does (default: the factorized estimate) */
  paperExact: boolean;
}

export interface ExcpTensorInput {
  name: string;
  shape: readonly number[];
  w: Float32Array;
  /** the RESTORED previous weights (or the user's reference) */
  r: Float32Array;
  m?: Float32Array;
  v?: Float32Array;
  /** stored dtypes: restored values are rounded to them, so stats and the chain see what restore writes */
  dtypes: { w: DType; m?: DType; v?: DType };
}

export interface ExcpTensorStats {
  kept_w: number;
  kept_m: number | null;
  threshold_w: number;
  criterion: 'second-moment' | 'magnitude';
  /** ||W_hat - W|| / ||W|| of the restored weights, and its pieces (to pool over tensors) */
  rel_err_w: number;
  sq_err_w: number;
  sq_norm_w: number;
  rel_err_m: number | null;
  /** pooled update error pieces of the restored v: sum (h(v_hat) - h(v))^2 and sum h(v)^2 */
  update_sq_err: number | null;
  update_sq_norm: number | null;
}

export interface ExcpEncoded {
  w: Uint8Array;
  m?: Uint8Array;
  v?: Uint8Array;
  stats: ExcpTensorStats;
  /** what restore will produce, in float32 (before rounding to the tensor's dtype) */
  restored: { w: Float32Array; m?: Float32Array; v?: Float32Array };
}

const UPDATE_EPS = 1e-6;

/** `rowLength` lets the coder use the code one row up as context (lm_head's rows of unseen tokens repeat). */
function centroidsAndCodes(centroids: Float32Array, codes: Uint8Array, bits: number, rowLength?: number): Uint8Array {
  return frame([f32Bytes(centroids), encodeCodes(codes, bits, rowLength ? { rowLength } : {})]);
}

/** Codes of `values` at the mask's positions (k-means with 2^bits - 1 centroids), code 0 elsewhere. */
async function quantizeKept(backend: Backend, values: Float32Array, mask: Uint8Array, bits: number, what: string) {
  try {
    return await backend.kmeans({ dtype: 'F32', data: values }, { k: (1 << bits) - 1, mask });
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

function compact(codes: Uint8Array, mask: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0, k = 0; i < codes.length; i++) if (mask[i]) out[k++] = codes[i]!;
  return out;
}

function sqErr(hat: Float32Array, x: Float32Array): { e: number; s: number } {
  let e = 0, s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = hat[i]! - x[i]!;
    e += d * d;
    s += x[i]! * x[i]!;
  }
  return { e, s };
}

export function relFrom(e: number, s: number): number {
  return s > 0 ? Math.sqrt(e / s) : e > 0 ? Infinity : 0;
}


/** The estimate of v at every element from its stored factors. */
function expandFactors(f: Factors, n: number): Float32Array {
  const out = new Float32Array(n);
  if (f.cols === 0) out.fill(f.row[0] ?? 0);
  else for (let r = 0; r < f.rows; r++) expandFactorRow(f, r, out, r * f.cols);
  return out;
}

// The factors are stored as BF16 (float32's range, 8 mantissa bits): they only estimate the pruned
// entries, so 0.4% of precision costs nothing measurable (update_rel_err 0.0298 either way on the
// fixture) and halves their bytes, which were a sixth of the archive. Both ends estimate from the
// rounded factors, with the denominator summed the same way.
function roundFactors(f: Factors): Factors {
  const row = f.row.slice();
  const col = f.col.slice();
  roundToDtype(row, 'BF16');
  roundToDtype(col, 'BF16');
  return withTotal(f.rows, f.cols, row, col);
}

function withTotal(rows: number, cols: number, row: Float32Array, col: Float32Array): Factors {
  if (cols === 0) return { rows, cols, row, col, total: row[0] ?? 0 };
  let total = 0;
  for (let i = 0; i < row.length; i++) total += row[i]!;
  return { rows, cols, row, col, total };
}

function factorsBytes(f: Factors): Uint8Array {
  const both = new Float32Array(f.row.length + f.col.length);
  both.set(f.row);
  both.set(f.col, f.row.length);
  return encodeFloatPlanes(fromFloat32(both, 'BF16'), 'BF16');
}

function factorsFrom(bytes: Uint8Array, shape: readonly number[], n: number): Factors {
  const rows = shape.length < 2 ? 1 : shape[0]!;
  const cols = shape.length < 2 ? 0 : n / Math.max(1, rows);
  const count = rows + cols;
  const both = toFloat32(decodeFloatPlanes(bytes, 'BF16', undefined, { what: 'v factors', expectedBytes: 2 * count }), 'BF16');
  if (shape.length < 2) return withTotal(n, 0, both.slice(0, 1), new Float32Array(0));
  return withTotal(rows, cols, both.slice(0, rows), both.slice(rows));
}

function dequantize(codes: Uint8Array, centroids: Float32Array, out: Float32Array): void {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c > centroids.length) throw new Error(`code ${c} at element ${i} but only ${centroids.length} centroids`);
    out[i] = c === 0 ? 0 : centroids[c - 1]!;
  }
}

export async function encodeExcpTensor(backend: Backend, t: ExcpTensorInput, p: ExcpParams): Promise<ExcpEncoded> {
  const n = t.w.length;
  const f32 = (data: Float32Array) => ({ dtype: 'F32' as const, data });
  const magnitudeOnly = !t.v;
  let weightThreshold: number | undefined;
  if (magnitudeOnly) {
    // No second moment: keep residual entries above the median |dW| (the v-guided factor taken as 1).
    const dW = new Float32Array(n);
    for (let i = 0; i < n; i++) dW[i] = t.w[i]! - t.r[i]!;
    weightThreshold = n > 0 ? (await backend.selectMagnitude(f32(dW), Math.floor((n - 1) / 2))).value : 0;
  }
  const e = await backend.excpStep(f32(t.w), f32(t.r), t.m && f32(t.m), t.v && f32(t.v), { alpha: p.alpha, beta: p.beta, weightThreshold });

  const wq = await quantizeKept(backend, e.residual, e.weightMask, p.bits, `${t.name}: weight residual`);
  const restoredW = new Float32Array(n);
  dequantize(wq.codes, wq.centroids, restoredW);
  for (let i = 0; i < n; i++) restoredW[i] = t.r[i]! + restoredW[i]!;
  roundToDtype(restoredW, t.dtypes.w);
  const errW = sqErr(restoredW, t.w);
  const out: ExcpEncoded = {
    w: centroidsAndCodes(wq.centroids, wq.codes, p.bits, t.shape.length >= 2 ? t.shape[t.shape.length - 1] : undefined),
    stats: {
      kept_w: e.keptW,
      kept_m: e.keptM ?? null,
      threshold_w: e.thresholdW,
      criterion: magnitudeOnly ? 'magnitude' : 'second-moment',
      rel_err_w: relFrom(errW.e, errW.s),
      sq_err_w: errW.e,
      sq_norm_w: errW.s,
      rel_err_m: null,
      update_sq_err: null,
      update_sq_norm: null,
    },
    restored: { w: restoredW },
  };
  if (t.m && e.momentMask) {
    const mq = await quantizeKept(backend, t.m, e.momentMask, p.bitsMoments, `${t.name}: exp_avg`);
    out.m = centroidsAndCodes(mq.centroids, compact(mq.codes, e.weightMask, e.keptW), p.bitsMoments);
    const mHat = new Float32Array(n);
    dequantize(mq.codes, mq.centroids, mHat);
    roundToDtype(mHat, t.dtypes.m ?? 'F32');
    out.restored.m = mHat;
    const errM = sqErr(mHat, t.m);
    out.stats.rel_err_m = relFrom(errM.e, errM.s);
    if (t.v) {
      const vq = await quantizeKept(backend, t.v, e.momentMask, p.bitsMoments, `${t.name}: exp_avg_sq`);
      const factors = roundFactors(factorize(t.v, t.shape));
      out.v = frame([f32Bytes(vq.centroids), encodeCodes(compact(vq.codes, e.momentMask, e.keptM!), p.bitsMoments), factorsBytes(factors)]);
      const vHat = restoreV(vq.codes, e.momentMask, vq.centroids, factors, n, p.paperExact);
      roundToDtype(vHat, t.dtypes.v ?? 'F32');
      out.restored.v = vHat;
      let se = 0, sn = 0;
      for (let i = 0; i < n; i++) {
        const h = 1 / (Math.sqrt(t.v[i]!) + UPDATE_EPS);
        const d = 1 / (Math.sqrt(vHat[i]!) + UPDATE_EPS) - h;
        se += d * d;
        sn += h * h;
      }
      out.stats.update_sq_err = se;
      out.stats.update_sq_norm = sn;
    }
  }
  return out;
}

function restoreV(codes: Uint8Array, mask: Uint8Array, centroids: Float32Array, factors: Factors, n: number, paperExact: boolean): Float32Array {
  const out = paperExact ? new Float32Array(n) : expandFactors(factors, n);
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const c = codes[i]!;
    out[i] = c === 0 ? 0 : centroids[c - 1]!;
  }
  return out;
}

/** Inverse of encodeExcpTensor: the restored w (given the same reference), m and v in float32. */
export function decodeExcpTensor(
  streams: { w: Uint8Array; m?: Uint8Array; v?: Uint8Array },
  r: Float32Array,
  shape: readonly number[],
  p: Pick<ExcpParams, 'bits' | 'bitsMoments' | 'paperExact'>,
): { w: Float32Array; m?: Float32Array; v?: Float32Array } {
  const n = r.length;
  const [wc, wcodes] = unframe(streams.w, 2);
  const wCentroids = bytesF32(wc!);
  const wCodes = decodeCodes(wcodes!, n, p.bits);
  const w = new Float32Array(n);
  dequantize(wCodes, wCentroids, w);
  for (let i = 0; i < n; i++) w[i] = r[i]! + w[i]!;
  const out: { w: Float32Array; m?: Float32Array; v?: Float32Array } = { w };
  if (!streams.m) return out;
  const keptW = wCodes.reduce((s: number, c: number) => s + (c !== 0 ? 1 : 0), 0);
  const [mc, mcodes] = unframe(streams.m, 2);
  const mCentroids = bytesF32(mc!);
  const mCompact = decodeCodes(mcodes!, keptW, p.bitsMoments);
  const mCodes = new Uint8Array(n);
  const mMask = new Uint8Array(n);
  let keptM = 0;
  for (let i = 0, k = 0; i < n; i++) {
    if (wCodes[i] === 0) continue;
    const c = mCompact[k++]!;
    mCodes[i] = c;
    if (c !== 0) (mMask[i] = 1), keptM++;
  }
  const m = new Float32Array(n);
  dequantize(mCodes, mCentroids, m);
  out.m = m;
  if (!streams.v) return out;
  const [vc, vcodes, vf] = unframe(streams.v, 3);
  const vCentroids = bytesF32(vc!);
  const vCompact = decodeCodes(vcodes!, keptM, p.bitsMoments);
  const vCodes = new Uint8Array(n);
  for (let i = 0, k = 0; i < n; i++) if (mMask[i]) vCodes[i] = vCompact[k++]!;
  for (const c of vCompact as Uint8Array) if (c > vCentroids.length) throw new Error(`v code ${c} but only ${vCentroids.length} centroids`);
  out.v = restoreV(vCodes, mMask, vCentroids, factorsFrom(vf!, shape, n), n, p.paperExact);
  return out;
}
