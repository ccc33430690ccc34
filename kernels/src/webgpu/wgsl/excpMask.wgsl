// Kernel 8, step 3: ExCP's masks, on float bits exactly as excp.ts compares them. dW is kept where
// |dW| > thr_w; m (and v) where also |m| > thr_m. Thresholds arrive as the int32 bit patterns of
// excp.ts thresholdBits (-1 keeps every non-NaN value, 0x7fffffff none), so for a = bits(|x|):
// |x| > thr  <=>  a > t as int32, and NaN (a > 0x7f800000) is never kept.
//
// In place: dW becomes the pruned residual (+0 where dropped). Out: the weight mask and the moment
// mask as bytes (4 per word), then two kept counts per thread.

struct Params {
  n: u32,
  quads: u32,    // ceil(n / 4): mask words per mask
  groups_x: u32,
  has_m: u32,
  t_w: u32,      // int32 bits
  t_m: u32,
  _pad0: u32,
  _pad1: u32,
}

// Element type of m: 0 = F32, 1 = BF16, 2 = F16.
override DT_M: u32 = 0u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> D: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> M: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn m_at(i: u32) -> u32 {
  return unpack_elem(M[elem_word(i, DT_M)], i, DT_M);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, P.groups_x);
  let first = tile_first(g, lid);
  let t_w = bitcast<i32>(P.t_w);
  let t_m = bitcast<i32>(P.t_m);
  var kept_w = 0u;
  var kept_m = 0u;
  for (var j = 0u; j < VPT; j++) {
    let q = first + j * WG;
    if (q >= P.quads) {
      break;
    }
    var d = D[q];
    var w_bits = 0u;
    var m_bits = 0u;
    for (var k = 0u; k < 4u; k++) {
      let i = 4u * q + k;
      let a = d[k] & 0x7fffffffu;
      let keep_w = i < P.n && bitcast<i32>(a) > t_w && a <= 0x7f800000u;
      d[k] = select(0u, d[k], keep_w);
      w_bits |= u32(keep_w) << (8u * k);
      kept_w += u32(keep_w);
      if (P.has_m == 1u && keep_w) {
        let am = m_at(i) & 0x7fffffffu;
        let keep_m = bitcast<i32>(am) > t_m && am <= 0x7f800000u;
        m_bits |= u32(keep_m) << (8u * k);
        kept_m += u32(keep_m);
      }
    }
    D[q] = d;
    out[q] = w_bits;
    if (P.has_m == 1u) {
      out[P.quads + q] = m_bits;
    }
  }
  let r = 2u * P.quads + 2u * (g * WG + lid);
  out[r] = kept_w;
  out[r + 1u] = kept_m;
}
