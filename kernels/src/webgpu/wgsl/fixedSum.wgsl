// Sum (or sum of |x|) of a tensor, accurate to about 1e-11 relative before the host's float64
// additions, for means that decide thresholds (ExCP's mean(v) and mean(|m|)). f32 sums of 1024
// values are only good to ~1e-6, which would move a float32 threshold by an ulp now and then.
//
// Each thread (VPT vec4 words strided by WG, as stats.wgsl) finds the largest exponent E of its
// finite values, then adds every value exactly as an integer number of units 2^(E - 174) (the top
// value's 24-bit mantissa shifted up 24 bits) in a 64-bit accumulator made of two u32 words, one
// for positive and one for negative values. Only bits below the unit are lost: less than 2^-47 of
// the top value per element. NaN and +-Inf are counted, not added.

struct Params {
  n: u32,
  vecs: u32,
  groups_x: u32,
  _pad: u32,
}

// 1: sum |x|; 0: sum x.
override ABS: u32 = 0u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> records: array<u32>;

const RECORD_WORDS: u32 = 8u;

// Adds the 48-bit number (hi, lo) to acc = (lo word, hi word).
fn add48(acc: vec2<u32>, lo: u32, hi: u32) -> vec2<u32> {
  let s = acc.x + lo;
  return vec2<u32>(s, acc.y + hi + u32(s < lo));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, P.groups_x);
  let first_vec = g * WG * VPT + lid;
  let epv = elems_per_vec();

  var top = 0u;
  var nans = 0u;
  var posinf = 0u;
  var neginf = 0u;
  for (var j = 0u; j < VPT; j++) {
    let v = first_vec + j * WG;
    if (v >= P.vecs) {
      break;
    }
    let q = src[v];
    let e0 = v * epv;
    for (var k = 0u; k < epv; k++) {
      if (e0 + k >= P.n) {
        break;
      }
      let b = elem_bits(q, k);
      let a = b & 0x7fffffffu;
      top = max(top, select(0u, a, a < 0x7f800000u));
      nans += u32(a > 0x7f800000u);
      let neg = (b & 0x80000000u) != 0u && ABS == 0u;
      posinf += u32(a == 0x7f800000u && !neg);
      neginf += u32(a == 0x7f800000u && neg);
    }
  }

  let top_e = max(top >> 23u, 1u);
  var pos = vec2<u32>(0u);
  var negs = vec2<u32>(0u);
  for (var j = 0u; j < VPT; j++) {
    let v = first_vec + j * WG;
    if (v >= P.vecs) {
      break;
    }
    let q = src[v];
    let e0 = v * epv;
    for (var k = 0u; k < epv; k++) {
      if (e0 + k >= P.n) {
        break;
      }
      let b = elem_bits(q, k);
      let a = b & 0x7fffffffu;
      if (a >= 0x7f800000u) {
        continue;
      }
      let e = a >> 23u;
      let mant = select(a & 0x7fffffu, (a & 0x7fffffu) | 0x800000u, e != 0u);
      let d = top_e - max(e, 1u); // 0 for the top value
      var lo = 0u;
      var hi = 0u;
      if (d <= 24u) {
        let s = 24u - d;
        lo = mant << s;
        hi = select(0u, mant >> (32u - s), s != 0u);
      } else if (d < 56u) {
        lo = mant >> (d - 24u);
      }
      if ((b & 0x80000000u) != 0u && ABS == 0u) {
        negs = add48(negs, lo, hi);
      } else {
        pos = add48(pos, lo, hi);
      }
    }
  }

  let r = (g * WG + lid) * RECORD_WORDS;
  records[r + 0u] = top_e;
  records[r + 1u] = pos.x;
  records[r + 2u] = pos.y;
  records[r + 3u] = negs.x;
  records[r + 4u] = negs.y;
  records[r + 5u] = nans;
  records[r + 6u] = posinf;
  records[r + 7u] = neginf;
}
