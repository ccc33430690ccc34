// Row and column profiles (max |x| and L2 norm) of the 2-D view of a tensor, and outlier detection
// on them (ALGORITHMS.md §2, "Outlier patterns"). The max-abs profiles are also the rank-1 scales.

const F32_MAX = 3.4028234663852886e38;

/** The 2-D view `[d0, d1*...*dk]` of a shape (ALGORITHMS.md notation); a scalar is 1 x 1, a vector d0 x 1. */
export function view2d(shape: readonly number[]): { rows: number; cols: number } {
  if (shape.length === 0) return { rows: 1, cols: 1 };
  let cols = 1;
  for (let k = 1; k < shape.length; k++) cols *= shape[k];
  return { rows: shape[0], cols };
}

/** Running profile sums; fill with `accumulateProfiles` (any number of chunks, any order), read with `finishProfiles`. */
export interface ProfileAccumulator {
  rows: number;
  cols: number;
  /** max |x| per row / column over finite values (NaN and ±Inf are left out: they would be useless as scales). */
  rowMaxAbs: Float32Array;
  colMaxAbs: Float32Array;
  /** sums of squares in float64; undefined when L2 profiles were not asked for. */
  rowSumSq?: Float64Array;
  colSumSq?: Float64Array;
}

export interface Profiles {
  rows: number;
  cols: number;
  rowMaxAbs: Float32Array;
  colMaxAbs: Float32Array;
  /** L2 norm of each row / column (float64 accumulation), present when asked for. */
  rowL2?: Float64Array;
  colL2?: Float64Array;
}

export function newProfileAccumulator(rows: number, cols: number, l2 = false): ProfileAccumulator {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw new RangeError(`bad 2-D view ${rows} x ${cols}`);
  const acc: ProfileAccumulator = { rows, cols, rowMaxAbs: new Float32Array(rows), colMaxAbs: new Float32Array(cols) };
  if (l2) {
    acc.rowSumSq = new Float64Array(rows);
    acc.colSumSq = new Float64Array(cols);
  }
  return acc;
}

/**
 * Adds the elements `chunk[0..]` that sit at flat (row-major) positions `offset..offset+chunk.length-1`
 * of the 2-D view. Chunks may start and end mid-row.
 */
export function accumulateProfiles(acc: ProfileAccumulator, chunk: Float32Array, offset = 0): void {
  const { cols, rowMaxAbs, colMaxAbs, rowSumSq, colSumSq } = acc;
  if (offset < 0 || offset + chunk.length > acc.rows * cols) {
    throw new RangeError(`profile chunk [${offset}, ${offset + chunk.length}) is outside the ${acc.rows} x ${cols} view`);
  }
  if (chunk.length === 0) return;
  if (cols === 1) return accumulateVector(acc, chunk, offset);
  let row = Math.floor(offset / cols);
  let col = offset - row * cols;
  let i = 0;
  while (i < chunk.length) {
    const end = Math.min(chunk.length, i + (cols - col));
    let rMax = rowMaxAbs[row];
    if (rowSumSq && colSumSq) {
      let rSq = 0;
      for (let j = col; i < end; i++, j++) {
        const v = chunk[i];
        const a = Math.abs(v);
        if (a > rMax && a <= F32_MAX) rMax = a;
        if (a > colMaxAbs[j] && a <= F32_MAX) colMaxAbs[j] = a;
        const sq = v * v;
        rSq += sq;
        colSumSq[j] += sq;
      }
      rowSumSq[row] += rSq;
    } else {
      for (let j = col; i < end; i++, j++) {
        const a = Math.abs(chunk[i]);
        if (a > rMax && a <= F32_MAX) rMax = a;
        if (a > colMaxAbs[j] && a <= F32_MAX) colMaxAbs[j] = a;
      }
    }
    rowMaxAbs[row] = rMax;
    row++;
    col = 0;
  }
}

/** A vector's view is n x 1: the row profile is |x| itself, the column profile its max (no per-row loop). */
function accumulateVector(acc: ProfileAccumulator, chunk: Float32Array, offset: number): void {
  const { rowMaxAbs, rowSumSq } = acc;
  let cMax = acc.colMaxAbs[0];
  let cSq = 0;
  for (let i = 0; i < chunk.length; i++) {
    const v = chunk[i];
    const a = Math.abs(v);
    const finite = a <= F32_MAX;
    rowMaxAbs[offset + i] = finite ? a : 0;
    if (finite && a > cMax) cMax = a;
    if (rowSumSq) {
      rowSumSq[offset + i] = v * v;
      cSq += v * v;
    }
  }
  acc.colMaxAbs[0] = cMax;
  if (acc.colSumSq) acc.colSumSq[0] += cSq;
}

export function finishProfiles(acc: ProfileAccumulator): Profiles {
  const out: Profiles = { rows: acc.rows, cols: acc.cols, rowMaxAbs: acc.rowMaxAbs, colMaxAbs: acc.colMaxAbs };
  if (acc.rowSumSq && acc.colSumSq) {
    out.rowL2 = acc.rowSumSq.map(Math.sqrt);
    out.colL2 = acc.colSumSq.map(Math.sqrt);
  }
  return out;
}

/** Row and column profiles of `x` viewed as rows x cols (x.length must equal rows * cols). */
export function rowColProfiles(x: Float32Array, rows: number, cols: number, opts: { l2?: boolean } = {}): Profiles {
  if (x.length !== rows * cols) throw new RangeError(`tensor of ${x.length} elements does not fill a ${rows} x ${cols} view`);
  const acc = newProfileAccumulator(rows, cols, opts.l2 ?? false);
  accumulateProfiles(acc, x, 0);
  return finishProfiles(acc);
}

export type OutlierPattern = 'row' | 'column' | 'both' | 'none';

export interface ProfileOutliers {
  /** indices whose max |x| exceeds k * median, ascending */
  indices: number[];
  /** lower median of the profile's nonzero entries (0 when all are 0) */
  median: number;
  /** entries that are exactly 0 (rows/columns that are all zero, e.g. unused embedding rows) */
  zeroCount: number;
}

export interface OutlierReport {
  k: number;
  rows: ProfileOutliers;
  cols: ProfileOutliers;
  pattern: OutlierPattern;
}

/**
 * Outliers of one max-abs profile: entries above k times the profile's median.
 * The median is taken over the nonzero entries (lower median): all-zero rows/columns are dead, not
 * typical, and counting them would make every live row an "outlier" when more than half are dead.
 * A profile with a single entry has no outliers (nothing to compare against).
 */
export function profileOutliers(profile: Float32Array, k = 8): ProfileOutliers {
  if (!(k > 0)) throw new RangeError(`outlier factor k must be positive, got ${k}`);
  const live = profile.filter((v) => v > 0).sort();
  const zeroCount = profile.length - live.length;
  const median = live.length > 0 ? live[(live.length - 1) >> 1] : 0;
  const indices: number[] = [];
  if (profile.length > 1 && live.length > 0) {
    const limit = k * median;
    for (let i = 0; i < profile.length; i++) if (profile[i] > limit) indices.push(i);
  }
  return { indices, median, zeroCount };
}

/** Row/column outlier detection and the tensor's pattern (a lone extreme element counts as both). */
export function detectOutliers(p: Pick<Profiles, 'rowMaxAbs' | 'colMaxAbs'>, k = 8): OutlierReport {
  const rows = profileOutliers(p.rowMaxAbs, k);
  const cols = profileOutliers(p.colMaxAbs, k);
  const r = rows.indices.length > 0;
  const c = cols.indices.length > 0;
  const pattern: OutlierPattern = r && c ? 'both' : r ? 'row' : c ? 'column' : 'none';
  return { k, rows, cols, pattern };
}
