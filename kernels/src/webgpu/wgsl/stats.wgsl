// Kernel 1: fused statistics. One thread, no barrier, per slice of the tile; each thread writes one
// 16-word record that the host merges in float64 (gpuStats.ts).
//
// Three passes over the thread's slice (re-read from cache): counts and extremes; the mean c of
// x / s, s a power of two >= max|x|; sums of d, d^2, d^3, d^4 with d = x / s - c. Scaling by s
// keeps every power away from f32 overflow and underflow whatever the tensor's scale, and centring
// on c keeps the sums from cancelling. The host turns them into central moments about the exact
// mean (the d sum corrects c) and merges records pairwise in float64.

// uses: input

@group(0) @binding(0) var<uniform> P: SlabShape;
@group(0) @binding(2) var<storage, read_write> records: array<u32>;

const RECORD_WORDS: u32 = 16u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, P.groups_x);
  let first = tile_first(g, lid);

  // Pass 1: classification on bits, extremes as keys.
  var count = 0u;
  var zeros = 0u;
  var nf = NonFinite(0u, 0u, 0u);
  var kmin = 0xffffffffu;
  var kmax = 0u;
  for (var j = 0u; j < VPT; j++) {
    let w = tile_word(first, j, P.vecs, P.n);
    for (var k = 0u; k < w.count; k++) {
      let b = elem_bits(w.q, k);
      let a = b & ABS_MASK;
      let finite = a < INF_BITS;
      nf = count_nonfinite(nf, b);
      zeros += u32(a == 0u);
      count += u32(finite);
      let key = signed_key(b);
      kmin = min(kmin, select(0xffffffffu, key, finite));
      kmax = max(kmax, select(0u, key, finite));
    }
  }

  // Scale s = 2^(s_exp - 127) >= max|x|, clamped so that 1/s is a normal float (exact, from bits).
  var s_exp = 127u;
  if (count > 0u) {
    let amax = max(signed_key_to_bits(kmin) & ABS_MASK, signed_key_to_bits(kmax) & ABS_MASK);
    s_exp = clamp((amax >> 23u) + select(0u, 1u, (amax & 0x7fffffu) != 0u), 1u, 253u);
  }
  let inv_s = bitcast<f32>((254u - s_exp) << 23u);

  // Pass 2: the centre, in units of s (|x / s| <= 1: no overflow whatever the tensor's scale).
  // Four accumulators (by lane) keep the rounding chains short.
  var sum = vec4<f32>(0.0);
  if (count > 0u) {
    for (var j = 0u; j < VPT; j++) {
      let w = tile_word(first, j, P.vecs, P.n);
      for (var k = 0u; k < w.count; k++) {
        sum[k & 3u] += finite_value(elem_bits(w.q, k)) * inv_s;
      }
    }
  }
  let c = (sum.x + sum.y + sum.z + sum.w) / f32(max(count, 1u));

  // Pass 3: sums of d^1..d^4, d = x / s - c.
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var s3 = vec4<f32>(0.0);
  var s4 = vec4<f32>(0.0);
  if (count > 0u) {
    for (var j = 0u; j < VPT; j++) {
      let w = tile_word(first, j, P.vecs, P.n);
      for (var k = 0u; k < w.count; k++) {
        let b = elem_bits(w.q, k);
        let d = select(0.0, finite_value(b) * inv_s - c, (b & ABS_MASK) < INF_BITS);
        let d2 = d * d;
        let l = k & 3u;
        s1[l] += d;
        s2[l] += d2;
        s3[l] += d2 * d;
        s4[l] += d2 * d2;
      }
    }
  }

  let r = (g * WG + lid) * RECORD_WORDS;
  records[r + 0u] = count;
  records[r + 1u] = zeros;
  records[r + 2u] = nf.nan;
  records[r + 3u] = nf.posinf;
  records[r + 4u] = nf.neginf;
  records[r + 5u] = kmin;
  records[r + 6u] = kmax;
  records[r + 7u] = bitcast<u32>(c); // in units of s
  records[r + 8u] = s_exp;
  records[r + 9u] = bitcast<u32>(s1.x + s1.y + s1.z + s1.w);
  records[r + 10u] = bitcast<u32>(s2.x + s2.y + s2.z + s2.w);
  records[r + 11u] = bitcast<u32>(s3.x + s3.y + s3.z + s3.w);
  records[r + 12u] = bitcast<u32>(s4.x + s4.y + s4.z + s4.w);
  records[r + 13u] = 0u;
  records[r + 14u] = 0u;
  records[r + 15u] = 0u;
}
