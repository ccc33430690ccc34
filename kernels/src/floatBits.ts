// Float32 bit patterns as sortable integer keys. Both backends classify values by comparing keys,
// never floats, so they agree exactly: no flush-to-zero of subnormals, no NaN comparisons, no
// rounding differences between a GPU's f32 and the CPU's f64.
//
// - "signed key": bits ^ (negative ? 0xffffffff : 0x80000000) orders every float32 like the reals
//   (-NaN < -Inf < ... < -0 < +0 < ... < +Inf < +NaN). -0 is mapped to +0 first.
// - "magnitude key": bits & 0x7fffffff orders |x| (0 < subnormals < ... < Inf < NaN).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export const F32_INF_BITS = 0x7f800000;
export const F32_SIGN_BIT = 0x80000000;

/** The float32 bit pattern of `x` (rounded to float32 first). */
export function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/** The float32 value of a bit pattern. */
export function bitsToF32(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/** Order-preserving key of a float32 bit pattern; -0 counts as +0. */
export function signedKey(bits: number): number {
  if (bits === F32_SIGN_BIT) bits = 0;
  return (bits & F32_SIGN_BIT ? ~bits : bits | F32_SIGN_BIT) >>> 0;
}

/** Inverse of signedKey. */
export function signedKeyToBits(key: number): number {
  return (key & F32_SIGN_BIT ? key & 0x7fffffff : ~key) >>> 0;
}

/** Float32 bits of an IEEE half (exact: every half is a float32; subnormal halves become normal floats). */
export function halfToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (man << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
  if (man === 0) return sign >>> 0;
  // Subnormal half: man * 2^-24, normalised.
  const shift = Math.clz32(man) - 21; // moves the leading 1 to bit 10 (the implicit bit)
  return (sign | ((113 - shift) << 23) | (((man << shift) & 0x3ff) << 13)) >>> 0;
}

let halfTable: Uint32Array | undefined;

/** Float32 bits of all 65536 halves (256 KiB, built on first use). */
export function halfBitsTable(): Uint32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToF32Bits(h);
  }
  return halfTable;
}
