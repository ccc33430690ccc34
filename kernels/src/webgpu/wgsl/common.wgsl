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

// Float32 bit patterns. For a = bits & ABS_MASK: finite iff a < INF_BITS, NaN iff a > INF_BITS.
const SIGN_BIT: u32 = 0x80000000u;
const ABS_MASK: u32 = 0x7fffffffu;
const INF_BITS: u32 = 0x7f800000u;
const EXP_MASK: u32 = 0x7f800000u;
const QNAN_BITS: u32 = 0x7fc00000u;

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

// Index of the 32-bit word that holds element i of a tensor of element type dt (DTYPE's codes).
fn elem_word(i: u32, dt: u32) -> u32 {
  return select(i, i >> 1u, dt != 0u);
}

// Float32 bits of element i of a tensor of element type dt, from its 32-bit word.
fn unpack_elem(word: u32, i: u32, dt: u32) -> u32 {
  if (dt == 0u) {
    return word;
  }
  let h = select(word & 0xffffu, word >> 16u, (i & 1u) == 1u);
  if (dt == 1u) {
    return h << 16u;
  }
  return half_to_f32_bits(h);
}

// Float32 bits of element k (0 .. elems_per_vec()-1) of the input word q.
fn elem_bits(q: vec4<u32>, k: u32) -> u32 {
  return unpack_elem(q[elem_word(k, DTYPE)], k, DTYPE);
}

// The value of float32 bits b, 0 for NaN and +-Inf.
fn finite_value(b: u32) -> f32 {
  return bitcast<f32>(select(0u, b, (b & ABS_MASK) < INF_BITS));
}

// Counts of NaN, +Inf and -Inf among float32 bit patterns.
struct NonFinite {
  nan: u32,
  posinf: u32,
  neginf: u32,
}

fn count_nonfinite(c: NonFinite, b: u32) -> NonFinite {
  return NonFinite(
    c.nan + u32((b & ABS_MASK) > INF_BITS),
    c.posinf + u32(b == INF_BITS),
    c.neginf + u32(b == (SIGN_BIT | INF_BITS)),
  );
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

// Tiles: thread lid of workgroup g takes the words (or quads) tile_first(g, lid) + j * WG, j < VPT,
// so a workgroup covers a contiguous tile of WG * VPT and neighbouring threads neighbouring words.
fn tile_first(g: u32, lid: u32) -> u32 {
  return g * WG * VPT + lid;
}

// Linear index of thread lid of workgroup wid over the whole dispatch.
fn thread_index(wid: vec3<u32>, lid: u32, groups_x: u32) -> u32 {
  return group_index(wid, groups_x) * WG + lid;
}

// ---- pieces of segments ------------------------------------------------------------------------

// A strided run of elements.
struct Piece {
  first: u32,
  count: u32,
  stride: u32,
}

// Piece p of consecutive segments (rows, blocks) of seg_len elements, each cut into pieces of
// `span` (per_seg = ceil(seg_len / span) of them). Positions count from the start of the first
// segment; the piece is clipped to the positions [lo, hi) that the slab holds.
fn segment_piece(p: u32, per_seg: u32, span: u32, seg_len: u32, lo: u32, hi: u32) -> Piece {
  let seg = p / per_seg;
  let c = p - seg * per_seg;
  let start = seg * seg_len;
  let a = max(start + c * span, lo);
  let b = min(start + min((c + 1u) * span, seg_len), hi);
  return Piece(a, select(0u, b - a, b > a), 1u);
}

// ---- sums of float32 values without overflow or underflow ---------------------------------------

// The power of two k that brings a piece's max |x| (float bits) near 1 (gpuProfiles.ts
// scaleExponent), clamped so that 2^k and the squares of the scaled values stay normal.
fn scale_exponent(max_bits: u32) -> i32 {
  return clamp(127 - i32(max_bits >> 23u), -100, 126);
}

// |x| * 2^k from the bits a of a finite |x| <= 2^-k * 2^28, built on bits so subnormal inputs count;
// a result below the normal range is dropped (it is < 2^-126 next to a max near 1).
fn abs_scaled(a: u32, k: i32) -> f32 {
  let e = i32(a >> 23u);
  if (e == 0) {
    if (k < 23) {
      return 0.0;
    }
    return f32(a) * bitcast<f32>(u32(k - 22) << 23u);
  }
  if (e + k < 1) {
    return 0.0;
  }
  return bitcast<f32>(u32(i32(a) + (k << 23u)));
}

// 64-bit integers as vec2<u32>(low word, high word), for fixed-point sums that no float rounding
// or subnormal flushing touches (fixedSum.wgsl, quantReduce.wgsl).

// m * 2^s for s < 32.
fn shl64(m: u32, s: u32) -> vec2<u32> {
  return vec2<u32>(m << s, select(0u, m >> (32u - s), s != 0u));
}

// a + b modulo 2^64.
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + u32(lo < a.x));
}
