// Element sizes and conversion of raw little-endian bytes to Float32Array, chunk by chunk.
import { FormatError, type DType } from './types.ts';

export const DTYPE_SIZE: Record<DType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2']);

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

// Lookup tables: 64K entries for the 16-bit formats (built lazily, 256 KiB each), 256 for FP8.
let f16Table: Float32Array | undefined;
let f8e4m3Table: Float32Array | undefined;
let f8e5m2Table: Float32Array | undefined;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function e4m3ToFloat(b: number): number {
  // OCP FP8 E4M3 (the "fn" variant used by safetensors/PyTorch): no infinities, S.1111.111 is NaN.
  const s = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 0xf;
  const m = b & 0x7;
  if (e === 15 && m === 7) return NaN;
  if (e === 0) return s * m * 2 ** -9;
  return s * (1 + m / 8) * 2 ** (e - 7);
}

function e5m2ToFloat(b: number): number {
  // E5M2 follows IEEE conventions: it is the top byte of an F16.
  return halfToFloat(b << 8);
}

function table(kind: 'F16' | 'F8_E4M3' | 'F8_E5M2'): Float32Array {
  if (kind === 'F16') return (f16Table ??= Float32Array.from({ length: 65536 }, (_, i) => halfToFloat(i)));
  if (kind === 'F8_E4M3') return (f8e4m3Table ??= Float32Array.from({ length: 256 }, (_, i) => e4m3ToFloat(i)));
  return (f8e5m2Table ??= Float32Array.from({ length: 256 }, (_, i) => e5m2ToFloat(i)));
}

/**
 * Converts `bytes` (whole elements of `dtype`, little-endian) to float32 values.
 * Integer and BOOL tensors convert too (exactly where representable); F64 rounds to nearest.
 * `out` is reused when given and large enough.
 */
export function toFloat32(bytes: Uint8Array, dtype: DType, out?: Float32Array): Float32Array {
  const size = DTYPE_SIZE[dtype];
  if (bytes.byteLength % size !== 0) throw new RangeError(`byte length ${bytes.byteLength} is not a multiple of ${dtype} size ${size}`);
  const n = bytes.byteLength / size;
  const dst = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      if (bytes.byteOffset % 4 === 0) dst.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
      else for (let i = 0; i < n; i++) dst[i] = dv.getFloat32(i * 4, true);
      break;
    case 'BF16': {
      // BF16 is the top half of an F32: shift the bits into place through a Uint32 view of dst.
      const u32 = new Uint32Array(dst.buffer, dst.byteOffset, n);
      if (bytes.byteOffset % 2 === 0) {
        const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
        for (let i = 0; i < n; i++) u32[i] = u16[i]! << 16;
      } else for (let i = 0; i < n; i++) u32[i] = dv.getUint16(i * 2, true) << 16;
      break;
    }
    case 'F16': {
      const t = table('F16');
      for (let i = 0; i < n; i++) dst[i] = t[dv.getUint16(i * 2, true)]!;
      break;
    }
    case 'F8_E4M3':
    case 'F8_E5M2': {
      const t = table(dtype);
      for (let i = 0; i < n; i++) dst[i] = t[bytes[i]!]!;
      break;
    }
    case 'F64':
      for (let i = 0; i < n; i++) dst[i] = dv.getFloat64(i * 8, true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) dst[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) dst[i] = dv.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) dst[i] = dv.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) dst[i] = dv.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) dst[i] = bytes[i]!;
      break;
    default: {
      const never: never = dtype;
      throw new FormatError(`unknown dtype ${String(never)}`, '<memory>');
    }
  }
  return dst;
}

/** Product of a shape's dimensions (1 for a scalar). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
