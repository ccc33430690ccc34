// Error curve of unstructured pruning (ALGORITHMS.md §3): remove the lowest-importance entries of a
// tensor and measure what is lost, at many sparsity levels in a few passes over the data.
//
// Why no sort: sorting 10^8 float keys in JS (a Float64Array sort, or an index sort with a comparator)
// takes seconds and a copy of the tensor. The curve only needs, per level, the sums of w^2 and of the
// importance over the k lowest entries, so a radix *select* suffices: the importance's float32 bits,
// mapped to an order-preserving unsigned key, are bucketed by their top 16 bits with per-bucket count,
// sum of w^2 and sum of importance (one pass); every level's boundary bucket is then refined by the
// next 8 bits and the last 8 bits (two more passes, in which one table look-up skips every entry outside
// the boundary buckets), which ends at the exact boundary key. Entries tied at that key are split by
// index order (a stable sort's order): one last such pass sums the first r of them, skipped when the
// ties all have the same w^2 (always the case for magnitude importance). Memory: about 2 MB of
// histograms and tables, whatever the tensor size; the inputs are read in place, never copied.
//
// Ordering of importance values: by float value, -0 == +0; NaN ranks above +Inf (never pruned before a
// number) and carries no importance mass.
import { bitsToF32, signedKeyToBits } from '../../../kernels/src/floatBits.ts';

/** 0%, 1%, ..., 95%. */
export const DEFAULT_SPARSITY_GRID: readonly number[] = Array.from({ length: 96 }, (_, i) => i / 100);

export interface ErrorPoint {
  /** The requested sparsity (errorCurve) or removed / numel (errorAtCounts). */
  sparsity: number;
  /** Entries removed: floor(sparsity * numel). */
  removed: number;
  /** Sum of w^2 over the removed entries (float64). */
  sqErr: number;
  /** ||W - W_pruned|| / ||W|| = sqrt(sqErr / sqNorm); 0 when ||W|| = 0. */
  relErr: number;
  /** Sum of the importance over the removed entries. */
  importanceRemoved: number;
  /** importanceRemoved / importanceTotal; 0 when the total is 0. */
  importanceRemovedFrac: number;
  /** Importance of the last removed entry (-Infinity when none is removed, NaN when NaNs are). The removed
   *  set is: every entry with importance < threshold, plus the first `tiesRemoved` entries (in index
   *  order) whose importance equals it. `removalMask` applies exactly this rule. */
  threshold: number;
  tiesRemoved: number;
}

export interface ErrorCurve {
  numel: number;
  /** ||W||^2 (float64). */
  sqNorm: number;
  /** Sum of the importance over all entries, NaNs left out. */
  importanceTotal: number;
  /** Entries whose importance is NaN. */
  nanImportance: number;
  points: ErrorPoint[];
}

export interface ErrorCurveOptions {
  /** Sparsity levels in [0, 1]; default DEFAULT_SPARSITY_GRID. */
  sparsities?: readonly number[];
  /** Named in error messages. */
  tensor?: string;
}

/** floor(sparsity * n); the 1e-6 absorbs binary rounding (0.29 * 100 = 28.999999999999996). */
export function removedCount(sparsity: number, n: number): number {
  return Math.min(n, Math.floor(sparsity * n + 1e-6));
}

/** The error curve at each sparsity level (default 0%..95% in 1% steps). */
export function errorCurve(w: Float32Array, s: Float32Array, options: ErrorCurveOptions = {}): ErrorCurve {
  const grid = options.sparsities ?? DEFAULT_SPARSITY_GRID;
  for (const p of grid) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${where(options.tensor)}sparsity ${p} is not in [0, 1]`);
  }
  const curve = errorAtCounts(w, s, grid.map((p) => removedCount(p, w.length)), options.tensor);
  curve.points.forEach((point, i) => (point.sparsity = grid[i]!));
  return curve;
}

/** The error of removing exactly `counts[i]` lowest-importance entries, for each i. */
export function errorAtCounts(w: Float32Array, s: Float32Array, counts: readonly number[], tensor?: string): ErrorCurve {
  const n = w.length;
  if (s.length !== n) throw new RangeError(`${where(tensor)}importance has ${s.length} values, weights ${n}`);
  for (const k of counts) {
    if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`${where(tensor)}removal count ${k} is not an integer in [0, ${n}]`);
  }
  const keys = new Int32Array(s.buffer, s.byteOffset, n);
  const top = topHistogram(w, s, keys);
  const queries = counts.map((k) => newQuery(k));
  const active = queries.filter((q) => q.k > 0).sort((a, b) => a.k - b.k);
  if (active.length > 0) {
    const passes: Passes = { w, s, keys, gateTop: new Int32Array(0), gateMid: new Int32Array(0) };
    locateTopBuckets(active, top);
    refineMiddle(active, passes);
    const tied = refineLow(active, passes);
    if (tied.length > 0) sumTiesInIndexOrder(tied, active, passes);
  }

  const sqNorm = sum(top.w2);
  const importanceTotal = sum(top.s);
  const points = queries.map((q): ErrorPoint => ({
    sparsity: n > 0 ? q.k / n : 0,
    removed: q.k,
    sqErr: q.w2,
    relErr: sqNorm > 0 ? Math.sqrt(q.w2 / sqNorm) : 0,
    importanceRemoved: q.s,
    importanceRemovedFrac: importanceTotal !== 0 ? q.s / importanceTotal : 0,
    threshold: q.k === 0 ? -Infinity : keyToValue(q.key),
    tiesRemoved: q.k === 0 ? 0 : q.r,
  }));
  return { numel: n, sqNorm, importanceTotal, nanImportance: top.count[NAN_KEY >>> TOP_SHIFT]!, points };
}

/**
 * Marks (1) the entries the point removes: importance below its threshold, then the first `tiesRemoved`
 * entries equal to it, in index order. Reproduces the selection `errorAtCounts` measured.
 */
export function removalMask(s: Float32Array, point: Pick<ErrorPoint, 'threshold' | 'tiesRemoved'>, out = new Uint8Array(s.length)): Uint8Array {
  if (out.length !== s.length) throw new RangeError(`mask has ${out.length} entries, importance ${s.length}`);
  const keys = new Int32Array(s.buffer, s.byteOffset, s.length);
  const boundary = point.threshold === -Infinity && point.tiesRemoved === 0 ? -1 : valueToKey(point.threshold);
  let ties = point.tiesRemoved;
  for (let i = 0; i < keys.length; i++) {
    const key = orderKey(keys[i]!) >>> 0;
    const removed = key < boundary || (key === boundary && ties > 0);
    if (key === boundary && ties > 0) ties--;
    out[i] = removed ? 1 : 0;
  }
  return out;
}

// ---- keys ----------------------------------------------------------------------------------------
// An importance's float32 bits (read as int32) map to a key that orders like the value: as an unsigned
// 32-bit number, -Inf < ... < -0 = +0 < ... < +Inf < every NaN. Kept in int32 arithmetic (the hot
// loops shift and mask it), which V8 runs about twice as fast as the float-valued uint32 form.

/** Sort key of float32 bits, as an int32 (compare after `>>> 0`). */
function orderKey(bits: number): number {
  const magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000) return -1; // NaN: all ones, the largest key
  if (bits < 0) return magnitude === 0 ? 0x80000000 | 0 : ~bits;
  return bits | 0x80000000;
}

const NAN_KEY = 0xffffffff;

function keyToValue(key: number): number {
  return key === NAN_KEY ? NaN : bitsToF32(signedKeyToBits(key));
}

function valueToKey(value: number): number {
  return orderKey(new Int32Array(new Float32Array([value]).buffer)[0]!) >>> 0;
}

// ---- the passes ------------------------------------------------------------------------------------

// Digits: the top TOP_BITS of the key, then two digits of DIGIT_BITS each.
const TOP_BITS = 16;
const TOP_SHIFT = 32 - TOP_BITS;
const TOP = 1 << TOP_BITS;
const DIGIT_BITS = (32 - TOP_BITS) / 2;
const SUB = 1 << DIGIT_BITS;
const DIGIT_MASK = SUB - 1;

/** Per-bucket count and sums, `groups * SUB` (or TOP) slots. */
interface Histogram {
  count: Float64Array;
  w2: Float64Array;
  s: Float64Array;
}

/** One requested count, narrowed bucket by bucket to the exact boundary key. */
interface Query {
  k: number;
  /** Entries still to take inside the current bucket (finally: ties taken at the boundary key). */
  r: number;
  /** Key digits found so far, right-aligned (top, top + middle, then all 32 bits). */
  key: number;
  /** Sums over the entries already known to be removed. */
  w2: number;
  s: number;
  /** Set when the query takes some, not all, ties of unequal w^2: its split awaits the tie pass. */
  tie?: TieGroup;
}

/** A boundary key whose ties are split: the distinct numbers of ties the queries take, and the sums. */
interface TieGroup {
  /** its slot in the last-byte histogram */
  slot: number;
  /** sorted ascending, distinct */
  takes: number[];
  /** sum of w^2 over the first takes[i] tied entries in index order */
  sums: number[];
}

/** Data and the gates that route an entry's key to its slot in the current pass (-1: not wanted). */
interface Passes {
  w: Float32Array;
  s: Float32Array;
  keys: Int32Array;
  /** top digit -> boundary top bucket number */
  gateTop: Int32Array;
  /** top bucket number * SUB + middle digit -> boundary prefix number */
  gateMid: Int32Array;
}

function newQuery(k: number): Query {
  return { k, r: k, key: 0, w2: 0, s: 0 };
}

function histogram(slots: number): Histogram {
  return { count: new Float64Array(slots), w2: new Float64Array(slots), s: new Float64Array(slots) };
}

function topHistogram(w: Float32Array, s: Float32Array, keys: Int32Array): Histogram {
  const h = histogram(TOP);
  const { count, w2, s: ss } = h;
  for (let i = 0; i < keys.length; i++) {
    const b = orderKey(keys[i]!) >>> TOP_SHIFT;
    const x = w[i]!;
    count[b]++;
    w2[b] += x * x;
    ss[b] += s[i]!;
  }
  ss[NAN_KEY >>> TOP_SHIFT] = 0; // that bucket holds only NaNs: no importance mass
  return h;
}

/** Sweeps the top buckets once for all queries (sorted by k): each gets its bucket and the sums below it. */
function locateTopBuckets(sorted: Query[], top: Histogram): void {
  let b = 0;
  let below = 0;
  let w2 = 0;
  let s = 0;
  for (const q of sorted) {
    while (below + top.count[b]! < q.k) {
      below += top.count[b]!;
      w2 += top.w2[b]!;
      s += top.s[b]!;
      b++;
    }
    q.r = q.k - below;
    q.key = b;
    q.w2 = w2;
    q.s = s;
  }
}

/** Moves a query into the sub-bucket of `h` (slots offset..offset+SUB) that holds its r-th entry. */
function descend(q: Query, h: Histogram, offset: number): number {
  let j = 0;
  while (q.r > h.count[offset + j]!) {
    q.r -= h.count[offset + j]!;
    q.w2 += h.w2[offset + j]!;
    q.s += h.s[offset + j]!;
    if (++j === SUB) throw new Error('error curve: bucket counts disagree between passes (was the tensor modified meanwhile?)');
  }
  q.key = q.key * SUB + j;
  return offset + j;
}

/** Numbers the distinct keys of the queries, in order of first appearance. */
function numberDistinct(queries: Query[]): Map<number, number> {
  const index = new Map<number, number>();
  for (const q of queries) if (!index.has(q.key)) index.set(q.key, index.size);
  return index;
}

/** Second pass: the middle byte of the keys in boundary top buckets. */
function refineMiddle(queries: Query[], p: Passes): void {
  const groups = numberDistinct(queries);
  p.gateTop = new Int32Array(TOP).fill(-1);
  for (const [bucket, g] of groups) p.gateTop[bucket] = g;
  const { w, s, keys, gateTop } = p;
  const h = histogram(groups.size * SUB);
  for (let i = 0; i < keys.length; i++) {
    const key = orderKey(keys[i]!);
    const g = gateTop[key >>> TOP_SHIFT]!;
    if (g < 0) continue;
    const slot = g * SUB + ((key >>> DIGIT_BITS) & DIGIT_MASK);
    const x = w[i]!;
    const v = s[i]!;
    h.count[slot]++;
    h.w2[slot] += x * x;
    h.s[slot] += v === v ? v : 0;
  }
  for (const q of queries) descend(q, h, groups.get(q.key)! * SUB);
}

/** Third pass: the last byte, which ends at the exact boundary key; then the ties at that key. */
function refineLow(queries: Query[], p: Passes): TieGroup[] {
  const groups = numberDistinct(queries);
  p.gateMid = new Int32Array(groups.size * SUB).fill(-1);
  for (const [prefix, g] of groups) p.gateMid[p.gateTop[prefix >>> DIGIT_BITS]! * SUB + (prefix & DIGIT_MASK)] = g;
  const { w, s, keys, gateTop, gateMid } = p;
  const h = histogram(groups.size * SUB);
  const minW2 = new Float64Array(h.count.length).fill(Infinity);
  const maxW2 = new Float64Array(h.count.length).fill(-Infinity);
  for (let i = 0; i < keys.length; i++) {
    const key = orderKey(keys[i]!);
    const t = gateTop[key >>> TOP_SHIFT]!;
    if (t < 0) continue;
    const g = gateMid[t * SUB + ((key >>> DIGIT_BITS) & DIGIT_MASK)]!;
    if (g < 0) continue;
    const slot = g * SUB + (key & DIGIT_MASK);
    const x = w[i]!;
    const x2 = x * x;
    const v = s[i]!;
    h.count[slot]++;
    h.w2[slot] += x2;
    h.s[slot] += v === v ? v : 0;
    if (x2 < minW2[slot]!) minW2[slot] = x2;
    if (x2 > maxW2[slot]!) maxW2[slot] = x2;
  }
  const ties = new Map<number, TieGroup>();
  for (const q of queries) {
    const slot = descend(q, h, groups.get(q.key)! * SUB);
    const value = keyToValue(q.key);
    q.s += q.r * (value === value ? value : 0); // tied entries share one importance value
    if (q.r === h.count[slot]) q.w2 += h.w2[slot]!;
    else if (minW2[slot] === maxW2[slot]) q.w2 += q.r * minW2[slot]!;
    else {
      const group = ties.get(slot) ?? { slot, takes: [], sums: [] };
      if (!group.takes.includes(q.r)) group.takes.push(q.r);
      ties.set(slot, group);
      q.tie = group;
    }
  }
  for (const group of ties.values()) group.takes.sort((a, b) => a - b);
  return [...ties.values()];
}

/** Last pass, in index order over the tied entries of split keys; stops once every split is summed. */
function sumTiesInIndexOrder(tied: TieGroup[], queries: Query[], p: Passes): void {
  const { w, keys, gateTop, gateMid } = p;
  const gateTie = new Int32Array(gateMid.length).fill(-1);
  tied.forEach((group, i) => (gateTie[group.slot] = i));
  const seen = new Float64Array(tied.length);
  const acc = new Float64Array(tied.length);
  const next = new Int32Array(tied.length);
  let pending = tied.length;
  for (let i = 0; i < keys.length && pending > 0; i++) {
    const key = orderKey(keys[i]!);
    const t = gateTop[key >>> TOP_SHIFT]!;
    if (t < 0) continue;
    const g = gateMid[t * SUB + ((key >>> DIGIT_BITS) & DIGIT_MASK)]!;
    if (g < 0) continue;
    const tie = gateTie[g * SUB + (key & DIGIT_MASK)]!;
    if (tie < 0) continue;
    const group = tied[tie]!;
    if (next[tie]! === group.takes.length) continue;
    const x = w[i]!;
    acc[tie] += x * x;
    if (++seen[tie] === group.takes[next[tie]!]) {
      group.sums.push(acc[tie]!);
      if (++next[tie] === group.takes.length) pending--;
    }
  }
  for (const q of queries) if (q.tie) q.w2 += q.tie.sums[q.tie.takes.indexOf(q.r)]!;
}

function sum(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}

function where(tensor: string | undefined): string {
  return tensor ? `${tensor}: ` : '';
}
