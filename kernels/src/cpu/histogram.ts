// Kernel 2 on the CPU: count the elements of each key interval (histogram.ts), one table lookup per
// element and a binary search only where a lookup cell holds an edge.
//
// Keys are handled as int32 with the top bit flipped ("biased"): int32 order then equals the
// unsigned key order, and V8 keeps every value in an integer register (uint32 values >= 2^31
// would become doubles).
import { histogramFromIntervals, histogramTables, LUT_SHIFT, type Histogram, type HistogramSpec, type HistogramTables } from '../histogram.ts';
import type { TensorData } from '../types.ts';
import { forEachBlock } from './blocks.ts';
import { countPatterns, PATTERN_MIN_ELEMENTS, patternBits } from './halfPatterns.ts';

// A local copy: in CommonJS output an imported binding is a getter call on every read, which
// made the lookup below 5 times slower.
const SHIFT = LUT_SHIFT;

const biasedThresholds = new WeakMap<HistogramTables, Int32Array>();
const patternTables = new WeakMap<HistogramTables, Partial<Record<'BF16' | 'F16', Uint16Array>>>();

/** The interval of each 16-bit pattern (BF16/F16 inputs count patterns, then fold them). */
function patternIntervals(tables: HistogramTables, dtype: 'BF16' | 'F16'): Uint16Array {
  let per = patternTables.get(tables);
  if (!per) patternTables.set(tables, (per = {}));
  let t = per[dtype];
  if (!t) {
    const bitsOf = patternBits(dtype);
    const thresholds = biased(tables);
    const magnitude = tables.mode === 'magnitude';
    t = new Uint16Array(65536);
    for (let p = 0; p < 65536; p++) {
      const b = bitsOf(p) | 0;
      t[p] = find(magnitude ? magnitudeKey(b) : signedKey(b), thresholds, tables.lut);
    }
    per[dtype] = t;
  }
  return t;
}

function biased(tables: HistogramTables): Int32Array {
  let b = biasedThresholds.get(tables);
  if (!b) {
    b = Int32Array.from(tables.thresholds, (t) => t ^ 0x80000000);
    biasedThresholds.set(tables, b);
  }
  return b;
}

/** Interval counts of elements [start, end) of `x`, m + 1 of them (m = tables.thresholds.length). */
export function cpuHistogramIntervals(x: TensorData, tables: HistogramTables, start = 0, end = x.data.length): Float64Array {
  if (x.dtype !== 'F32' && end - start >= PATTERN_MIN_ELEMENTS) {
    const counts = countPatterns(x.data, start, end);
    const intervalOf = patternIntervals(tables, x.dtype);
    const out = new Float64Array(tables.thresholds.length + 1);
    for (let p = 0; p < 65536; p++) out[intervalOf[p]!] += counts[p]!;
    return out;
  }
  const counts = new Int32Array(tables.thresholds.length + 1);
  const total = new Float64Array(counts.length);
  const thresholds = biased(tables);
  const { lut } = tables;
  const magnitude = tables.mode === 'magnitude';
  // Int32 counters are fastest; fold them into float64 before they could overflow.
  let pending = 0;
  forEachBlock(x, start, end, (_values, bits) => {
    if (magnitude) countMagnitude(bits, thresholds, lut, counts);
    else countSigned(bits, thresholds, lut, counts);
    pending += bits.length;
    if (pending >= 2 ** 30) {
      flush(counts, total);
      pending = 0;
    }
  });
  flush(counts, total);
  return total;
}

export function cpuHistogram(x: TensorData, spec: HistogramSpec): Histogram {
  const tables = histogramTables(spec);
  return histogramFromIntervals(spec, tables, cpuHistogramIntervals(x, tables));
}

function flush(counts: Int32Array, total: Float64Array): void {
  for (let j = 0; j < counts.length; j++) total[j] += counts[j]!;
  counts.fill(0);
}

// Keys as biased int32 (see the top of the file). The signed key is branch-free because signs are
// random and a branch would mispredict half the time: b for b >= 0, b ^ 0x7fffffff below. -0 keys
// just below +0, and histogram.ts puts no threshold between them.
const signedKey = (b: number) => b ^ ((b >> 31) & 0x7fffffff);
const magnitudeKey = (b: number) => (b & 0x7fffffff) ^ -2147483648;

// Two loops that differ only in the key, so each stays monomorphic.

function countSigned(bits: Int32Array, thresholds: Int32Array, lut: Uint16Array, counts: Int32Array): void {
  for (let i = 0; i < bits.length; i++) counts[find(signedKey(bits[i]!), thresholds, lut)]!++;
}

function countMagnitude(bits: Int32Array, thresholds: Int32Array, lut: Uint16Array, counts: Int32Array): void {
  for (let i = 0; i < bits.length; i++) counts[find(magnitudeKey(bits[i]!), thresholds, lut)]!++;
}

/** Number of thresholds <= key (both biased): the interval of `key`. */
function find(key: number, thresholds: Int32Array, lut: Uint16Array): number {
  const cell = (key ^ -2147483648) >>> SHIFT;
  let lo = lut[cell]!;
  let hi = lut[cell + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
