// Kernel 2, the part both backends share: what a histogram spec means, turned into a partition of
// the float32 key space (floatBits.ts) that the kernels only have to look up.
//
// A spec's bins live in "y space": y = x, or y = h(x) = 1/(sqrt(x)+1e-6) with `transform: 'adam-update'`.
// Every question "is y >= edge?" is answered by comparing x's key with a precomputed key threshold
// (h is monotone, so the transform is applied to the edges, inverted exactly in float64). The
// kernels therefore never evaluate h, log10 or a division per element, both backends count exactly
// the same elements, and the answer is the one real arithmetic gives for float32 inputs.
//
// Layout for the kernels: `thresholds` (ascending keys T[0..m-1]) cut the key space into m + 1
// intervals, interval j = { key : T[j-1] <= key < T[j] }; `slots[j]` says which output the interval
// counts toward. `lut[c]` = number of thresholds <= c << LUT_SHIFT narrows the search for a key to
// thresholds lut[c] .. lut[c+1]-1 (usually none or one).
import { F32_INF_BITS, F32_SIGN_BIT, f32Bits, signedKey } from './floatBits.ts';

export const MAX_BINS = 4096;

export interface HistogramSpec {
  /** 'linear': bins over y in [lo, hi]; 'log10abs': bins over log10|y| in [lo, hi] */
  scale: 'linear' | 'log10abs';
  bins: number;
  lo: number;
  hi: number;
  /** 'adam-update': bin y = 1 / (sqrt(x) + 1e-6) (Adam's step size for a second moment x >= 0) */
  transform?: 'none' | 'adam-update';
}

/**
 * Counts per bin, plus what fell outside. Bin i holds edges[i] <= y < edges[i+1]; the last bin also
 * holds y == hi (as numpy). For 'log10abs' the edges are log10|y| values and the bins count |y|.
 */
export interface Histogram {
  spec: HistogramSpec;
  /** bins + 1 edges, in the units of lo/hi */
  edges: Float64Array;
  counts: Float64Array;
  /** y below the range ('linear': -Inf included; 'log10abs': 0 < |y| < 10^lo) */
  below: number;
  /** y above the range, ±Inf included where it applies */
  above: number;
  /** 'log10abs' only: y == 0 (no logarithm) */
  zeros: number;
  /** NaN, and for 'adam-update' x < 0 (h undefined) */
  nan: number;
  /** every element, all of the above together */
  total: number;
}

/** Output slots besides the bins, numbered after them. */
const enum Extra {
  Below = 0,
  Above = 1,
  Zeros = 2,
  Nan = 3,
}

/** Which key a kernel computes from an element's float32 bits. */
export type KeyMode = 'signed' | 'magnitude';

export interface HistogramTables {
  mode: KeyMode;
  /** ascending key thresholds (m of them) */
  thresholds: Uint32Array;
  /** output slot of each of the m + 1 intervals: bin index, or bins + Extra */
  slots: Uint16Array;
  /** LUT_CELLS + 1 entries: number of thresholds <= c << LUT_SHIFT */
  lut: Uint16Array;
}

export function validateHistogramSpec(spec: HistogramSpec): void {
  const { bins, lo, hi } = spec;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) throw new RangeError(`histogram bins must be an integer in 1..${MAX_BINS}, got ${bins}`);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new RangeError(`histogram range needs finite lo < hi, got [${lo}, ${hi}]`);
  if (spec.scale !== 'linear' && spec.scale !== 'log10abs') throw new RangeError(`unknown histogram scale ${String(spec.scale)}`);
  const t = spec.transform ?? 'none';
  if (t !== 'none' && t !== 'adam-update') throw new RangeError(`unknown histogram transform ${String(t)}`);
}

export function histogramEdges(spec: HistogramSpec): Float64Array {
  const e = new Float64Array(spec.bins + 1);
  const w = (spec.hi - spec.lo) / spec.bins;
  for (let i = 0; i <= spec.bins; i++) e[i] = spec.lo + i * w;
  e[spec.bins] = spec.hi;
  return e;
}

// ---- keys of real thresholds -------------------------------------------------------------------

/** Signed key of the smallest float32 >= e. */
function keyCeil(e: number): number {
  const f = Math.fround(e);
  const k = signedKey(f32Bits(f));
  return f < e ? k + 1 : k;
}

/** Signed key of the largest float32 <= e. */
function keyFloor(e: number): number {
  const f = Math.fround(e);
  const k = signedKey(f32Bits(f));
  return f > e ? k - 1 : k;
}

const KEY_NEG_INF = signedKey((F32_SIGN_BIT | F32_INF_BITS) >>> 0);
const KEY_POS_INF = signedKey(F32_INF_BITS);
const KEY_ZERO = signedKey(0);

const ADAM_EPS = 1e-6;

/** x with h(x) = y for h(x) = 1/(sqrt(x)+eps), x >= 0: y >= h(0) has only x = 0 (or nothing), y <= 0 every x. */
function adamInverse(y: number): number {
  if (y <= 0) return Infinity;
  const r = 1 / y - ADAM_EPS;
  return r <= 0 ? (r === 0 ? 0 : -1) : r * r;
}

// ---- building the partition -------------------------------------------------------------------

/** Intervals as (start key, slot), in ascending order of start; the first starts at key 0. */
type Cut = [start: number, slot: number];

/** Edges of y in "y >= e" form for the spec's scale: bin edges, as y values (not log10). */
function yEdges(spec: HistogramSpec): Float64Array {
  const e = histogramEdges(spec);
  if (spec.scale === 'log10abs') for (let i = 0; i < e.length; i++) e[i] = 10 ** e[i]!;
  return e;
}

/**
 * Cuts without a transform. 'linear' on signed keys:
 * [-NaN][below incl. -Inf][bin 0]...[bin n-1 (hi included)][above incl. +Inf][+NaN].
 * 'log10abs' on magnitude keys: [zero][below][bins...][above incl. Inf][NaN].
 */
function directCuts(spec: HistogramSpec, y: Float64Array, n: number): Cut[] {
  const top = keyFloor(y[n]!) + 1; // y <= hi is still in the last bin
  if (spec.scale === 'linear') {
    const cuts: Cut[] = [[0, n + Extra.Nan], [KEY_NEG_INF, n + Extra.Below]];
    for (let i = 0; i < n; i++) cuts.push([keyCeil(y[i]!), i]);
    cuts.push([top, n + Extra.Above], [KEY_POS_INF + 1, n + Extra.Nan]);
    return cuts;
  }
  // Magnitude key = signed key - 2^31 for y >= 0.
  const m = (k: number) => k - F32_SIGN_BIT;
  const cuts: Cut[] = [[0, n + Extra.Zeros], [1, n + Extra.Below]];
  for (let i = 0; i < n; i++) cuts.push([m(keyCeil(y[i]!)), i]);
  cuts.push([m(top), n + Extra.Above], [m(KEY_POS_INF) + 1, n + Extra.Nan]);
  return cuts;
}

/**
 * Cuts for y = h(x), h decreasing on x >= 0, on signed keys of x. "y >= e" is "x <= h^-1(e)", i.e.
 * key < under(e) = keyFloor(h^-1(e)) + 1, so larger y come first in key order:
 * [-NaN, x < 0: nan][y above][bin n-1]...[bin 0][y below][x = +Inf, y = 0: zeros for log bins][+NaN].
 * For linear bins that reach y <= 0, h^-1 is +Inf and x = +Inf (y = 0) lands in the bin holding 0.
 */
function adamCuts(spec: HistogramSpec, y: Float64Array, n: number): Cut[] {
  const under = (e: number) => keyFloor(adamInverse(e)) + 1;
  const cuts: Cut[] = [[0, n + Extra.Nan], [KEY_ZERO, n + Extra.Above]];
  // The last bin is closed: y <= hi means x >= h^-1(hi).
  cuts.push([keyCeil(adamInverse(y[n]!)), n - 1]);
  for (let i = n - 1; i >= 1; i--) cuts.push([under(y[i]!), i - 1]);
  cuts.push([under(y[0]!), n + Extra.Below]);
  if (spec.scale === 'log10abs') cuts.push([KEY_POS_INF, n + Extra.Zeros]);
  cuts.push([KEY_POS_INF + 1, n + Extra.Nan]);
  return cuts;
}

/** Lookup cells of 2^14 keys each: 2^18 cells (512 KiB as u16), fine enough that most elements,
 * even with 4096 narrow bins, fall in a cell without an edge and need no search. */
export const LUT_SHIFT = 14;
export const LUT_CELLS = 2 ** (32 - LUT_SHIFT);

function buildTables(spec: HistogramSpec): HistogramTables {
  validateHistogramSpec(spec);
  const n = spec.bins;
  const y = yEdges(spec);
  const adam = (spec.transform ?? 'none') === 'adam-update';
  const cuts = adam ? adamCuts(spec, y, n) : directCuts(spec, y, n);
  // Thresholds must not decrease (bins narrower than float32 spacing become empty intervals).
  const m = cuts.length - 1;
  const thresholds = new Uint32Array(m);
  const slots = new Uint16Array(m + 1);
  slots[0] = cuts[0]![1];
  let prev = 0;
  const signed = adam || spec.scale === 'linear';
  for (let j = 1; j <= m; j++) {
    let t = Math.min(2 ** 32 - 1, Math.max(prev, cuts[j]![0]));
    // No threshold sits between -0 and +0: then a kernel may key -0 either as +0 (signedKey) or
    // just below it (the branch-free raw key), with the same result.
    if (signed && t === KEY_ZERO) t = KEY_ZERO - 1;
    thresholds[j - 1] = t;
    slots[j] = cuts[j]![1];
    prev = t;
  }
  const lut = new Uint16Array(LUT_CELLS + 1);
  let j = 0;
  for (let c = 0; c <= LUT_CELLS; c++) {
    const key = c * 2 ** LUT_SHIFT;
    while (j < m && thresholds[j]! <= key) j++;
    lut[c] = j;
  }
  return { mode: signed ? 'signed' : 'magnitude', thresholds, slots, lut };
}

const tableCache = new Map<string, HistogramTables>();

/** The kernel tables of a spec, memoised (a report asks for the same few specs many times). */
export function histogramTables(spec: HistogramSpec): HistogramTables {
  const key = histogramSpecKey(spec);
  let t = tableCache.get(key);
  if (!t) {
    t = buildTables(spec);
    if (tableCache.size >= 32) tableCache.delete(tableCache.keys().next().value!);
    tableCache.set(key, t);
  }
  return t;
}

export function histogramSpecKey(spec: HistogramSpec): string {
  return `${spec.scale}:${spec.bins}:${spec.lo}:${spec.hi}:${spec.transform ?? 'none'}`;
}

/** Folds interval counts (m + 1 of them, from a kernel) into a Histogram. */
export function histogramFromIntervals(spec: HistogramSpec, tables: HistogramTables, intervals: ArrayLike<number>): Histogram {
  const n = spec.bins;
  const out = new Float64Array(n + 4);
  for (let j = 0; j < tables.slots.length; j++) out[tables.slots[j]!] += intervals[j]!;
  let total = 0;
  for (let i = 0; i < out.length; i++) total += out[i]!;
  return {
    spec,
    edges: histogramEdges(spec),
    counts: out.slice(0, n),
    below: out[n + Extra.Below]!,
    above: out[n + Extra.Above]!,
    zeros: out[n + Extra.Zeros]!,
    nan: out[n + Extra.Nan]!,
    total,
  };
}

export function emptyHistogram(spec: HistogramSpec): Histogram {
  validateHistogramSpec(spec);
  return { spec, edges: histogramEdges(spec), counts: new Float64Array(spec.bins), below: 0, above: 0, zeros: 0, nan: 0, total: 0 };
}

/** Sum of two histograms of the same spec (chunks of one tensor, or tensors pooled). */
export function mergeHistograms(a: Histogram, b: Histogram): Histogram {
  if (histogramSpecKey(a.spec) !== histogramSpecKey(b.spec)) throw new RangeError('cannot merge histograms of different specs');
  const counts = new Float64Array(a.counts.length);
  for (let i = 0; i < counts.length; i++) counts[i] = a.counts[i]! + b.counts[i]!;
  return { spec: a.spec, edges: a.edges, counts, below: a.below + b.below, above: a.above + b.above, zeros: a.zeros + b.zeros, nan: a.nan + b.nan, total: a.total + b.total };
}
