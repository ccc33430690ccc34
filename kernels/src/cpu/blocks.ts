// Walking a tensor as float32 blocks (CPU path). F32 data is viewed in place; BF16/F16 blocks are
// widened into a reused scratch block small enough to stay in L1, so a kernel's inner loop is the
// same for every dtype and touches each byte of input once.
import { halfBitsTable } from '../floatBits.ts';
import type { TensorData } from '../types.ts';

let halfInt32: Int32Array | undefined;
const halfBitsInt32 = () => (halfInt32 ??= new Int32Array(halfBitsTable().buffer));

/** Elements per block: 16 KiB of float32, comfortably inside L1. */
export const BLOCK = 4096;

/** `bits` as int32: V8 keeps int32 loads in registers, while uint32 values >= 2^31 become doubles. */
export type BlockFn = (values: Float32Array, bits: Int32Array) => void;

/**
 * Calls `fn` on consecutive blocks of elements [start, end) as float32 values and their bit
 * patterns (two views of the same memory). The views are only valid during the call.
 */
export function forEachBlock(x: TensorData, start: number, end: number, fn: BlockFn): void {
  if (x.dtype === 'F32') {
    const { data } = x;
    const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
    for (let lo = start; lo < end; lo += BLOCK) {
      const hi = Math.min(end, lo + BLOCK);
      fn(data.subarray(lo, hi), bits.subarray(lo, hi));
    }
    return;
  }
  const scratchBits = new Int32Array(BLOCK);
  const scratch = new Float32Array(scratchBits.buffer);
  const src = x.data;
  const table = x.dtype === 'F16' ? halfBitsInt32() : null;
  // Two BF16 per 32-bit load when the data is 4-byte aligned (about twice as fast).
  const words = src.byteOffset % 4 === 0 ? new Int32Array(src.buffer, src.byteOffset, src.length >> 1) : null;
  for (let lo = start; lo < end; lo += BLOCK) {
    const len = Math.min(end, lo + BLOCK) - lo;
    if (table) for (let i = 0; i < len; i++) scratchBits[i] = table[src[lo + i]!]!;
    else if (words && (lo & 1) === 0) widenBf16Pairs(words, src, lo, len, scratchBits);
    else for (let i = 0; i < len; i++) scratchBits[i] = src[lo + i]! << 16; // BF16 = top half of an F32
    fn(scratch.subarray(0, len), scratchBits.subarray(0, len));
  }
}


/** Widens BF16 elements [lo, lo + len) (lo even) to float32 bits, reading them in 32-bit pairs. */
function widenBf16Pairs(words: Int32Array, src: Uint16Array, lo: number, len: number, out: Int32Array): void {
  const pairs = len >> 1;
  const w0 = lo >> 1;
  for (let i = 0; i < pairs; i++) {
    const w = words[w0 + i]!;
    out[2 * i] = w << 16;
    out[2 * i + 1] = w & -65536; // 0xffff0000 as int32
  }
  if (len & 1) out[len - 1] = src[lo + len - 1]! << 16;
}
