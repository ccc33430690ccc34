// Float32 values to the bytes of a float dtype, rounding to nearest even (as PyTorch's .to(dtype)).
// Restore writes reconstructed tensors in their original dtype through this.
import type { DType } from './types.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float32 bits to BF16 bits, round to nearest even; NaN stays a quiet NaN. */
export function f32BitsToBf16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A float32 value to IEEE half bits, round to nearest even, with subnormals and overflow to Inf. */
export function f32ToHalfBits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const man = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** The bytes of `values` in `dtype` (F32, F64, BF16 or F16). */
export function fromFloat32(values: Float32Array, dtype: DType): Uint8Array {
  switch (dtype) {
    case 'F32':
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'F64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'BF16': {
      const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
      const out = new Uint16Array(values.length);
      for (let i = 0; i < out.length; i++) out[i] = f32BitsToBf16(bits[i]!);
      return new Uint8Array(out.buffer);
    }
    case 'F16': {
      const out = new Uint16Array(values.length);
      for (let i = 0; i < out.length; i++) out[i] = f32ToHalfBits(values[i]!);
      return new Uint8Array(out.buffer);
    }
    default:
      throw new RangeError(`cannot write float values as ${dtype}`);
  }
}

/** Rounds values in place to what `dtype` can hold, so that the chain's reference equals what restore writes. */
export function roundToDtype(values: Float32Array, dtype: DType): void {
  if (dtype === 'F32' || dtype === 'F64') return;
  const bytes = fromFloat32(values, dtype);
  const bits16 = new Uint16Array(bytes.buffer, bytes.byteOffset, values.length);
  const out = new Uint32Array(values.buffer, values.byteOffset, values.length);
  if (dtype === 'BF16') for (let i = 0; i < values.length; i++) out[i] = bits16[i]! << 16;
  else {
    for (let i = 0; i < values.length; i++) {
      const h = bits16[i]!;
      // Exact: every half is a float32.
      const sign = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      values[i] = e === 0 ? sign * m * 2 ** -24 : e === 0x1f ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
}
