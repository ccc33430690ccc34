// 16-bit inputs on the CPU: a BF16 or F16 tensor holds at most 65536 distinct values, so one pass
// counting how often each bit pattern occurs is enough for every kernel here. Statistics, histogram
// and selection then work on 65536 (value, count) pairs: exact, and several times faster than
// widening each element to float32.
import { bitsToF32, halfBitsTable } from '../floatBits.ts';
import { checkRank, type SelectResult } from '../select.ts';
import { emptyStats, type StatsPartial } from '../stats.ts';

/** Below this many elements the per-element path is cheaper than scanning 65536 counters. */
export const PATTERN_MIN_ELEMENTS = 1 << 15;

/** Occurrences of each bit pattern among elements [start, end). */
export function countPatterns(data: Uint16Array, start: number, end: number): Float64Array {
  const total = new Float64Array(65536);
  // Two counter sets: a run of equal values (common in BF16) would otherwise make every
  // increment wait for the previous one.
  const a = new Int32Array(65536);
  const b = new Int32Array(65536);
  const CHUNK = 1 << 30; // int32 counters cannot overflow within a chunk
  for (let lo = start; lo < end; lo += CHUNK) {
    const hi = Math.min(end, lo + CHUNK);
    let i = lo;
    for (; i + 1 < hi; i += 2) {
      a[data[i]!]!++;
      b[data[i + 1]!]!++;
    }
    if (i < hi) a[data[i]!]!++;
    for (let p = 0; p < 65536; p++) total[p] += a[p]! + b[p]!;
    a.fill(0);
    b.fill(0);
  }
  return total;
}

/** Float32 bits of each 16-bit pattern. */
export function patternBits(dtype: 'BF16' | 'F16'): (p: number) => number {
  if (dtype === 'BF16') return (p) => (p << 16) >>> 0;
  const table = halfBitsTable();
  return (p) => table[p]!;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Fused statistics from pattern counts: exact values, float64 two-pass over the distinct ones. */
export function statsFromPatterns(counts: Float64Array, dtype: 'BF16' | 'F16'): StatsPartial {
  const bitsOf = patternBits(dtype);
  const values = new Float64Array(65536);
  const acc = emptyStats();
  let sum = 0;
  for (let p = 0; p < 65536; p++) {
    const c = counts[p]!;
    if (c === 0) continue;
    u32[0] = bitsOf(p);
    const v = f32[0]!;
    values[p] = v;
    acc.numel += c;
    if (v !== v) acc.nan += c;
    else if (v === Infinity) acc.posinf += c;
    else if (v === -Infinity) acc.neginf += c;
    else {
      acc.count += c;
      sum += c * v;
      if (v === 0) acc.zeros += c;
      if (v < acc.min) acc.min = v;
      if (v > acc.max) acc.max = v;
    }
  }
  if (acc.count === 0) return acc;
  const mean = sum / acc.count;
  let s1 = 0, m2 = 0, m3 = 0, m4 = 0;
  for (let p = 0; p < 65536; p++) {
    const c = counts[p]!;
    const v = values[p]!;
    if (c === 0 || v - v !== 0) continue;
    const d = v - mean;
    const q = d * d;
    s1 += c * d;
    m2 += c * q;
    m3 += c * q * d;
    m4 += c * q * q;
  }
  // s1 is the rounding left in the mean: fold it in (the corrected two-pass algorithm).
  const delta = s1 / acc.count;
  acc.mean = mean + delta;
  acc.m2 = m2 - acc.count * delta * delta;
  acc.m3 = m3 - 3 * delta * m2 + 2 * acc.count * delta ** 3;
  acc.m4 = m4 - 4 * delta * m3 + 6 * delta * delta * m2 - 3 * acc.count * delta ** 4;
  return acc;
}

/** The k-th smallest |x| from pattern counts: magnitude patterns (sign dropped) order like |x|. */
export function selectFromPatterns(counts: Float64Array, dtype: 'BF16' | 'F16', k: number): SelectResult {
  let numel = 0;
  for (let p = 0; p < 65536; p++) numel += counts[p]!;
  checkRank(numel, k);
  let below = 0;
  let m = 0;
  const at = (m: number) => counts[m]! + counts[m | 0x8000]!;
  while (below + at(m) <= k) below += at(m++);
  return { value: bitsToF32(patternBits(dtype)(m)), k, numel, below, equal: at(m) };
}
