// Kernel 3, the part both backends share: exact k-th smallest |x| by radix selection.
//
// |x| as float32 bits with the sign cleared (the "magnitude key" of floatBits.ts) is an integer
// that orders like |x|, so the k-th smallest |x| is the k-th smallest key. Each pass counts the keys
// that share the prefix found so far, by their next digit; the digit whose running count passes k
// extends the prefix. After the last digit the prefix is the key. No sort, no copy of the tensor:
// 1 to 3 counting passes over the data, the backends only count.
//
// NaN has a larger key than +Inf, so NaNs rank last (as torch.sort puts them).
import { bitsToF32 } from './floatBits.ts';
import type { KernelDType } from './types.ts';

export interface SelectResult {
  /** the k-th smallest |x| (0-based), a float32 value */
  value: number;
  k: number;
  numel: number;
  /** elements with |x| < value, and with |x| == value (bit-equal magnitudes: ±0 alike, NaN payloads apart) */
  below: number;
  equal: number;
}

/** One counting pass: count keys with (key & prefixMask) == prefix by ((key >>> shift) & (2^bits - 1)). */
export interface RadixPass {
  shift: number;
  bits: number;
  prefixMask: number;
  prefix: number;
}

/** Counts per digit (2^bits entries) of the keys matching the pass's prefix. */
export type RadixCounter = (pass: RadixPass) => Promise<ArrayLike<number>> | ArrayLike<number>;

/** Lowest key bit that can be nonzero: BF16 is the top half of a float32, F16 has 10 mantissa bits. */
export function lowestKeyBit(dtype: KernelDType): number {
  return dtype === 'F32' ? 0 : dtype === 'BF16' ? 16 : 13;
}

/** Digit widths from bit 30 down to `low`, in even passes of at most maxBits bits. */
export function radixDigits(low: number, maxBits: number): number[] {
  const total = 31 - low;
  const passes = Math.ceil(total / maxBits);
  const out: number[] = [];
  for (let p = 0, left = total; p < passes; p++) {
    const b = Math.ceil(left / (passes - p));
    out.push(b);
    left -= b;
  }
  return out;
}

/** The rank floor((n-1)/2) element, torch.median's lower median. */
export function lowerMedianRank(n: number): number {
  return Math.floor((n - 1) / 2);
}

export function checkRank(numel: number, k: number): void {
  if (!Number.isInteger(k) || k < 0 || k >= numel) throw new RangeError(`rank ${k} is out of range for ${numel} elements`);
}

/** Runs the passes with `count` and returns the k-th smallest |x|. */
export async function radixSelect(dtype: KernelDType, numel: number, k: number, maxDigitBits: number, count: RadixCounter): Promise<SelectResult> {
  checkRank(numel, k);
  let shift = 31;
  let prefix = 0;
  let prefixMask = 0;
  let below = 0;
  let rank = k;
  let equal = 0;
  for (const bits of radixDigits(lowestKeyBit(dtype), maxDigitBits)) {
    shift -= bits;
    const counts = await count({ shift, bits, prefixMask, prefix });
    let digit = 0;
    let before = 0;
    for (; digit < counts.length; digit++) {
      const c = counts[digit]!;
      if (before + c > rank) break;
      before += c;
    }
    if (digit === counts.length) throw new Error(`radix select: counts add up to ${before}, fewer than rank ${rank} + 1 (inconsistent input?)`);
    below += before;
    rank -= before;
    equal = counts[digit]!;
    prefix = (prefix | (digit << shift)) >>> 0;
    prefixMask = (prefixMask | (((1 << bits) - 1) << shift)) >>> 0;
  }
  return { value: bitsToF32(prefix), k, numel, below, equal };
}
