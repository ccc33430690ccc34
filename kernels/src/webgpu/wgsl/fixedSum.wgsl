// Sum (or sum of |x|) of a tensor, accurate to about 1e-11 relative before the host's float64
// additions, for means that decide thresholds (ExCP's mean(v) and mean(|m|)). f32 sums of 1024
// values are only good to ~1e-6, which would move a float32 threshold by an ulp now and then.
//
// Each thread (over its tile slice, input.wgsl) finds the largest exponent E of its finite values,
// then adds every value exactly as an integer number of units 2^(E - 174) (the top value's 24-bit
// mantissa shifted up 24 bits) in a 64-bit accumulator (common.wgsl add64), one for positive and
// one for negative values. Only bits below the unit are lost: less than 2^-47 of
// the top value per element. NaN and +-Inf are counted, not added.

// uses: input

// 1: sum |x|; 0: sum x.
override ABS: u32 = 0u;

@group(0) @binding(0) var<uniform> P: SlabShape;
@group(0) @binding(2) var<storage, read_write> records: array<u32>;

const RECORD_WORDS: u32 = 8u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, P.groups_x);
  let first = tile_first(g, lid);

  // Pass 1: the top finite |x| and the non-finite counts (of |x| with ABS).
  var top = 0u;
  var nf = NonFinite(0u, 0u, 0u);
  for (var j = 0u; j < VPT; j++) {
    let w = tile_word(first, j, P.vecs, P.n);
    for (var k = 0u; k < w.count; k++) {
      let b = elem_bits(w.q, k);
      let a = b & ABS_MASK;
      top = max(top, select(0u, a, a < INF_BITS));
      nf = count_nonfinite(nf, select(b, a, ABS == 1u));
    }
  }

  // Pass 2: every finite value as an integer number of units 2^(top_e - 174).
  let top_e = max(top >> 23u, 1u);
  var pos = vec2<u32>(0u);
  var negs = vec2<u32>(0u);
  for (var j = 0u; j < VPT; j++) {
    let w = tile_word(first, j, P.vecs, P.n);
    for (var k = 0u; k < w.count; k++) {
      let b = elem_bits(w.q, k);
      let a = b & ABS_MASK;
      if (a >= INF_BITS) {
        continue;
      }
      let e = a >> 23u;
      let mant = select(a & 0x7fffffu, (a & 0x7fffffu) | 0x800000u, e != 0u);
      let d = top_e - max(e, 1u); // 0 for the top value
      var units = vec2<u32>(0u);
      if (d <= 24u) {
        units = shl64(mant, 24u - d);
      } else if (d < 56u) {
        units.x = mant >> (d - 24u);
      }
      if ((b & SIGN_BIT) != 0u && ABS == 0u) {
        negs = add64(negs, units);
      } else {
        pos = add64(pos, units);
      }
    }
  }

  let r = (g * WG + lid) * RECORD_WORDS;
  records[r + 0u] = top_e;
  records[r + 1u] = pos.x;
  records[r + 2u] = pos.y;
  records[r + 3u] = negs.x;
  records[r + 4u] = negs.y;
  records[r + 5u] = nf.nan;
  records[r + 6u] = nf.posinf;
  records[r + 7u] = nf.neginf;
}
