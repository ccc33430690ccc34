// Kernel 3 on the CPU: the counting pass of the radix selection (select.ts). 16-bit digits, so a
// float32 tensor takes two passes over the data; a large 16-bit one takes one pass counting its
// bit patterns (halfPatterns.ts).
import { radixSelect, type RadixPass, type SelectResult } from '../select.ts';
import type { TensorData } from '../types.ts';
import { forEachBlock } from './blocks.ts';
import { countPatterns, PATTERN_MIN_ELEMENTS, selectFromPatterns } from './halfPatterns.ts';

/** Widest digit on the CPU: 65536 counters (256 KiB) stay in L2. */
export const CPU_DIGIT_BITS = 16;

/** Digit counts of the keys |x| of elements [start, end) that match the pass's prefix. */
export function cpuRadixCount(x: TensorData, pass: RadixPass, start = 0, end = x.data.length): Float64Array {
  const counts = new Int32Array(1 << pass.bits);
  const total = new Float64Array(counts.length);
  const { shift } = pass;
  // Prefix and mask fit in 31 bits (keys have no sign bit): plain int32 compares.
  const prefixMask = pass.prefixMask | 0;
  const prefix = pass.prefix | 0;
  const digitMask = (1 << pass.bits) - 1;
  let pending = 0;
  forEachBlock(x, start, end, (_values, bits) => {
    if (prefixMask === 0) {
      for (let i = 0; i < bits.length; i++) counts[((bits[i]! & 0x7fffffff) >> shift) & digitMask]!++;
    } else {
      for (let i = 0; i < bits.length; i++) {
        const key = bits[i]! & 0x7fffffff;
        if ((key & prefixMask) === prefix) counts[(key >> shift) & digitMask]!++;
      }
    }
    pending += bits.length;
    if (pending >= 2 ** 30) {
      for (let j = 0; j < counts.length; j++) total[j] += counts[j]!;
      counts.fill(0);
      pending = 0;
    }
  });
  for (let j = 0; j < counts.length; j++) total[j] += counts[j]!;
  return total;
}

/** The k-th smallest |x| (0-based) of the whole tensor. */
export async function cpuSelect(x: TensorData, k: number): Promise<SelectResult> {
  const n = x.data.length;
  // A large 16-bit tensor: one pass counting bit patterns (halfPatterns.ts).
  if (x.dtype !== 'F32' && n >= PATTERN_MIN_ELEMENTS) return selectFromPatterns(countPatterns(x.data, 0, n), x.dtype, k);
  return radixSelect(x.dtype, n, k, CPU_DIGIT_BITS, (pass) => cpuRadixCount(x, pass));
}
