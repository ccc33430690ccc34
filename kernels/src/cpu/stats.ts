// Kernel 1 on the CPU: fused statistics in one pass per block, float64 throughout.
//
// Per block of 4096 elements: sums of d, d^2, d^3, d^4 with d = x - K about a shift K (the previous
// block's mean), converted to central moments and merged pairwise (stats.ts). Power sums about a
// shift are exact algebra but lose digits when K is far from the block's mean; so when the block's
// mean turns out more than one standard deviation from K, the block (still in L1) is summed again
// about its own mean. That second pass is rare on real tensors, so the loop runs near one pass.
// Large BF16/F16 inputs take the exact pattern-count path (halfPatterns.ts) instead.
import { emptyStats, mergeMomentsInto, type StatsPartial } from '../stats.ts';
import type { TensorData } from '../types.ts';
import { forEachBlock } from './blocks.ts';
import { countPatterns, PATTERN_MIN_ELEMENTS, statsFromPatterns } from './halfPatterns.ts';

/** Running state across blocks: the partial so far and the shift for the next block. */
interface StatsState {
  acc: StatsPartial;
  shift: number;
}

/** Fused statistics of elements [start, end) of `x` (the whole tensor by default). */
export function cpuStats(x: TensorData, start = 0, end = x.data.length): StatsPartial {
  if (x.dtype !== 'F32' && end - start >= PATTERN_MIN_ELEMENTS) return statsFromPatterns(countPatterns(x.data, start, end), x.dtype);
  const state: StatsState = { acc: emptyStats(), shift: NaN };
  forEachBlock(x, start, end, (values) => statsBlock(values, state));
  return state.acc;
}

// Scratch for one block, reused to keep the block loop allocation-free. The hot loop reads and
// writes only this typed array and locals (no object properties), which keeps V8's optimized code
// stable. Layout: sums of d^1..d^4, then min, max and the counts of the block.
const S1 = 1, S2 = 2, S3 = 3, S4 = 4, MIN = 5, MAX = 6, ZEROS = 7, NAN = 8, POSINF = 9, NEGINF = 10;
const scratch = new Float64Array(11);

function statsBlock(v: Float32Array, state: StatsState): void {
  const acc = state.acc;
  let shift = state.shift;
  if (!(shift === shift)) shift = firstFinite(v);
  const s = scratch;
  s[MIN] = acc.min;
  s[MAX] = acc.max;
  s[ZEROS] = s[NAN] = s[POSINF] = s[NEGINF] = 0;
  const count = fusedSweep(v, shift, s);
  acc.numel += v.length;
  acc.min = s[MIN]!;
  acc.max = s[MAX]!;
  acc.zeros += s[ZEROS]!;
  acc.nan += s[NAN]!;
  acc.posinf += s[POSINF]!;
  acc.neginf += s[NEGINF]!;
  if (count === 0) return;
  let mean = shift + s[S1]! / count;
  if (!centralize(count, s)) {
    // The shift was far from this block's mean: sum again about the mean (data still in cache).
    powerSums(v, mean, s);
    mean += s[S1]! / count;
    centralize(count, s);
  }
  mergeMomentsInto(acc, acc.count, acc.mean, acc.m2, acc.m3, acc.m4, count, mean, s[S2]!, s[S3]!, s[S4]!);
  acc.count += count;
  state.shift = mean;
}

/**
 * One sweep: power sums about `k` of the finite values, extremes and counts, into `s`; returns the
 * number of finite values. Two interleaved accumulator sets halve the dependency chains (the loop
 * is latency-bound, not memory-bound).
 */
function fusedSweep(v: Float32Array, k: number, s: Float64Array): number {
  let a1 = 0, a2 = 0, a3 = 0, a4 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0;
  let count = 0, zeros = 0, bad = 0;
  let min = s[MIN]!, max = s[MAX]!;
  const n = v.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const x = v[i]!;
    const y = v[i + 1]!;
    const dx = x - k;
    const dy = y - k;
    // x - k is NaN for NaN and ±Inf (k is finite): one test finds both.
    if (dx - dx === 0 && dy - dy === 0) {
      if (x < min) min = x;
      if (x > max) max = x;
      if (y < min) min = y;
      if (y > max) max = y;
      if (x === 0) zeros++;
      if (y === 0) zeros++;
      const qx = dx * dx, qy = dy * dy;
      a1 += dx; a2 += qx; a3 += qx * dx; a4 += qx * qx;
      b1 += dy; b2 += qy; b3 += qy * dy; b4 += qy * qy;
      count += 2;
    } else bad = 1;
  }
  s[S1] = a1 + b1; s[S2] = a2 + b2; s[S3] = a3 + b3; s[S4] = a4 + b4;
  s[MIN] = min;
  s[MAX] = max;
  s[ZEROS] = zeros;
  // Rare paths: a pair with a non-finite value, and the odd last element, one element at a time.
  if (bad) {
    for (let j = 0; j + 1 < n; j += 2) {
      const x = v[j]!, y = v[j + 1]!;
      if (!(x - x === 0 && y - y === 0)) count += slowElement(x, k, s) + slowElement(y, k, s);
    }
  }
  if (i < n) count += slowElement(v[i]!, k, s);
  return count;
}

/** One element outside the fast loop: classifies it and adds it to `s`. Returns 1 if finite. */
function slowElement(x: number, k: number, s: Float64Array): number {
  if (x !== x) {
    s[NAN]++;
    return 0;
  }
  if (x - x !== 0) {
    if (x > 0) s[POSINF]++;
    else s[NEGINF]++;
    return 0;
  }
  if (x < s[MIN]!) s[MIN] = x;
  if (x > s[MAX]!) s[MAX] = x;
  if (x === 0) s[ZEROS]++;
  const d = x - k;
  const q = d * d;
  s[S1] += d; s[S2] += q; s[S3] += q * d; s[S4] += q * q;
  return 1;
}

function firstFinite(v: Float32Array): number {
  for (let i = 0; i < v.length; i++) if (v[i]! - v[i]! === 0) return v[i]!;
  return 0;
}

/**
 * s[1..4] = sums of (x - k)^p over the finite x. Two interleaved accumulator sets halve the
 * dependency chains (the loop is latency-bound, not memory-bound).
 */
function powerSums(v: Float32Array, k: number, s: Float64Array): void {
  let a1 = 0, a2 = 0, a3 = 0, a4 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0;
  const n = v.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const da = v[i]! - k;
    const db = v[i + 1]! - k;
    if (da - da === 0) {
      const q = da * da;
      a1 += da; a2 += q; a3 += q * da; a4 += q * q;
    }
    if (db - db === 0) {
      const q = db * db;
      b1 += db; b2 += q; b3 += q * db; b4 += q * q;
    }
  }
  if (i < n) {
    const d = v[i]! - k;
    if (d - d === 0) {
      const q = d * d;
      a1 += d; a2 += q; a3 += q * d; a4 += q * q;
    }
  }
  s[1] = a1 + b1; s[2] = a2 + b2; s[3] = a3 + b3; s[4] = a4 + b4;
}

/**
 * Turns power sums about a shift into central sums about the mean (in place, s[2..4]).
 * Returns false when the shift was more than one standard deviation from the mean, where the
 * conversion would cancel digits (the caller then sums again about the mean).
 */
function centralize(count: number, s: Float64Array): boolean {
  const d = s[1]! / count;
  const d2 = d * d;
  const m2 = s[2]! - count * d2;
  if (d2 > 0 && !(d2 * count <= m2)) return false;
  const s2 = s[2]!, s3 = s[3]!;
  s[2] = m2;
  s[3] = s3 - 3 * d * s2 + 2 * count * d2 * d;
  s[4] = s[4]! - 4 * d * s3 + 6 * d2 * s2 - 3 * count * d2 * d2;
  return true;
}
