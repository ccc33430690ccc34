// Shared by every kernel (prepended to its source). Inputs are bound as vec4<u32> words whatever
// their dtype, so one load brings 4 float32 or 8 half-precision elements; elements are unpacked to
// float32 BITS and classified on bits (WGSL may assume no NaN/Inf in float arithmetic, and may flush
// subnormals, so float compares would not be exact).

// Input element type, fixed per pipeline: 0 = F32, 1 = BF16, 2 = F16.
override DTYPE: u32 = 0u;
// Threads per workgroup.
override WG: u32 = 64u;
// vec4<u32> words each thread reads (strided by WG, so a workgroup reads a contiguous tile).
override VPT: u32 = 64u;

// Elements in one vec4<u32> of input.
fn elems_per_vec() -> u32 {
  return select(8u, 4u, DTYPE == 0u);
}

// Float32 bits of an IEEE half (exact, subnormal halves included).
fn half_to_f32_bits(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let man = h & 0x3ffu;
  if (e == 0x1fu) {
    return sign | 0x7f800000u | (man << 13u);
  }
  if (e != 0u) {
    return sign | ((e + 112u) << 23u) | (man << 13u);
  }
  if (man == 0u) {
    return sign;
  }
  // Subnormal half: move the leading 1 to the implicit-bit position (bit 10).
  let shift = countLeadingZeros(man) - 21u;
  return sign | ((113u - shift) << 23u) | (((man << shift) & 0x3ffu) << 13u);
}

// Float32 bits of element k (0 .. elems_per_vec()-1) of the input word q.
fn elem_bits(q: vec4<u32>, k: u32) -> u32 {
  if (DTYPE == 0u) {
    return q[k];
  }
  let w = q[k >> 1u];
  let h = select(w & 0xffffu, w >> 16u, (k & 1u) == 1u);
  if (DTYPE == 1u) {
    return h << 16u;
  }
  return half_to_f32_bits(h);
}

// Order-preserving key of float32 bits, -0 mapped to +0 (floatBits.ts signedKey).
fn signed_key(b: u32) -> u32 {
  let c = select(b, 0u, b == 0x80000000u);
  return select(c | 0x80000000u, ~c, (c & 0x80000000u) != 0u);
}

fn signed_key_to_bits(k: u32) -> u32 {
  return select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u);
}

// Linear workgroup index of a dispatch split into a 2-D grid (dispatch.ts).
fn group_index(wid: vec3<u32>, groups_x: u32) -> u32 {
  return wid.x + wid.y * groups_x;
}
