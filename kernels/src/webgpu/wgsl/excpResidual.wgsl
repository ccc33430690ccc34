// Kernel 8, step 1: the ExCP residual dW = fround(W - R), bit-exact as float32 arithmetic with
// gradual underflow (excp.ts), whatever the device does with subnormals. Each thread writes VPT quads
// of 4 residuals (strided by WG, so a workgroup writes a contiguous tile).
//
// Why not just w - r: a GPU may flush subnormal operands and results to zero, and WGSL may assume
// no overflow. So operands that are tiny (< 2^-60) are subtracted scaled up by 2^64, operands near
// the top of the range scaled down by 2^64 (exact power-of-two scalings; the rounding is the same),
// and NaN/Inf are decided on bits.

struct Params {
  n: u32,      // elements in this slab
  quads: u32,  // ceil(n / 4)
  groups_x: u32,
  _pad: u32,
}

// Element types of W and R: 0 = F32, 1 = BF16, 2 = F16.
override DT_W: u32 = 0u;
override DT_R: u32 = 0u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> R: array<u32>;
@group(0) @binding(3) var<storage, read_write> D: array<vec4<u32>>;

fn w_at(i: u32) -> u32 {
  return unpack_elem(W[elem_word(i, DT_W)], i, DT_W);
}

fn r_at(i: u32) -> u32 {
  return unpack_elem(R[elem_word(i, DT_R)], i, DT_R);
}

fn sub_nonfinite(a: u32, b: u32) -> u32 {
  let aa = a & ABS_MASK;
  let ab = b & ABS_MASK;
  if (aa > INF_BITS || ab > INF_BITS) {
    return QNAN_BITS;
  }
  if (aa == INF_BITS && ab == INF_BITS) {
    return select(QNAN_BITS, a, a != b); // Inf - Inf of the same sign is NaN
  }
  if (aa == INF_BITS) {
    return a;
  }
  return b ^ SIGN_BIT;
}

// x * 2^64 for |x| < 2^-60, exact (subnormals from their mantissa).
fn up64(x: u32) -> f32 {
  if ((x & 0x7f800000u) == 0u) {
    let sign = select(1.0, -1.0, (x & SIGN_BIT) != 0u);
    return sign * f32(x & 0x7fffffu) * bitcast<f32>(42u << 23u); // mantissa * 2^-149 * 2^64
  }
  return bitcast<f32>(x + (64u << 23u));
}

// Both magnitudes below 2^-60: the difference may be subnormal, where it is exact.
fn sub_tiny(a: u32, b: u32) -> u32 {
  let d = up64(a) - up64(b);
  let db = bitcast<u32>(d);
  let e = (db >> 23u) & 0xffu;
  if (e > 64u) {
    return db - (64u << 23u);
  }
  // |d| < 2^-62: d * 2^-64 is a multiple of 2^-149 below 2^-126, i.e. the subnormal mantissa d * 2^85.
  return (db & SIGN_BIT) | u32(abs(d) * bitcast<f32>(212u << 23u));
}

// x * 2^-64 (0 for |x| < 2^-62: below half an ulp of the other operand, which is >= 2^127).
fn down64(x: u32) -> f32 {
  if (((x >> 23u) & 0xffu) <= 64u) {
    return 0.0;
  }
  return bitcast<f32>(x - (64u << 23u));
}

// The larger magnitude is >= 2^127: the difference may overflow to +-Inf.
fn sub_huge(a: u32, b: u32) -> u32 {
  let db = bitcast<u32>(down64(a) - down64(b));
  let e = (db >> 23u) & 0xffu;
  if ((db & ABS_MASK) == 0u) {
    return 0u;
  }
  if (e + 64u >= 255u) {
    return (db & SIGN_BIT) | INF_BITS;
  }
  return db + (64u << 23u);
}

fn sub_bits(a: u32, b: u32) -> u32 {
  let top = max(a & ABS_MASK, b & ABS_MASK);
  if (top >= INF_BITS) {
    return sub_nonfinite(a, b);
  }
  let e = top >> 23u;
  if (e < 67u) {
    return sub_tiny(a, b);
  }
  if (e >= 254u) {
    return sub_huge(a, b);
  }
  // Both operands below 2^127 (no overflow); a subnormal operand is below half an ulp of the
  // other (>= 2^-60), so flushing it changes nothing; the result is >= 2^-84 or exactly 0.
  return bitcast<u32>(bitcast<f32>(a) - bitcast<f32>(b));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = tile_first(group_index(wid, P.groups_x), lid);
  for (var j = 0u; j < VPT; j++) {
    let q = first + j * WG;
    if (q >= P.quads) {
      break;
    }
    var out = vec4<u32>(0u);
    for (var k = 0u; k < 4u; k++) {
      let i = 4u * q + k;
      if (i < P.n) {
        out[k] = sub_bits(w_at(i), r_at(i));
      }
    }
    D[q] = out;
  }
}
