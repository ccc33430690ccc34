// Kernel input as float32 values, for the CPU references that work on Float32Array: F32 is viewed
// in place, BF16 widened by a shift, F16 through the exact half table.
import { halfBitsTable } from './floatBits.ts';
import type { TensorData } from './types.ts';

export function float32Values(x: TensorData): Float32Array {
  if (x.dtype === 'F32') return x.data;
  const out = new Float32Array(x.data.length);
  const bits = new Uint32Array(out.buffer);
  const src = x.data;
  if (x.dtype === 'BF16') {
    for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  } else {
    const table = halfBitsTable();
    for (let i = 0; i < src.length; i++) bits[i] = table[src[i]!]!;
  }
  return out;
}
