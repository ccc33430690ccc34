// k-means, last pass (gpuKmeans.ts): each selected element's code (1 + the slot of the nearest stored
// centroid, 0 for the others, bytes packed 4 per word) and the squared errors, exactly as kmeans.ts
// assigns them: the slot is the count of the CPU's decision thresholds (codebooks.ts NearestLookup,
// ties already folded in) whose key is <= the element's key.
//
// Squared errors in integer arithmetic, so no float rounding, flushing or contraction gets in: d = x -
// c is formed exactly as a 64-bit integer of units (the smaller operand truncated to 2^-38 of the
// larger when their exponents are further apart), its top 48 bits squared into a 64-bit mantissa
// (relative error below 2^-46), and each thread adds the terms in a 64-bit fixed-point accumulator
// whose unit follows its largest term (2^-51 of it: below 2^-38 relative for the 2048 elements a
// thread may hold). Out, after the codes: per thread (sum low, sum high, unit exponent, 0); the host
// adds sum * 2^exponent in float64.

// uses: input, kmeansSelect

// log2 of the (padded) threshold count searched.
override SEARCH: u32 = 8u;

struct Params {
  n: u32,
  vecs: u32,
  groups_x: u32,
  rec_base: u32, // first word of the records in `out`
}

@group(0) @binding(0) var<uniform> P: Params;
// thresholds' signed keys (-0 as +0) padded with 0xffffffff at [0, 256), centroid bits at [256, 512)
@group(0) @binding(3) var<storage, read> tab: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

const NO_TERM: i32 = -100000;

fn th(i: u32) -> u32 {
  return tab[i];
}

fn tv(i: u32) -> u32 {
  return tab[256u + i];
}

// Number of thresholds <= key: the slot of the nearest centroid.
fn search(key: u32) -> u32 {
  var pos = 0u;
  for (var step = (1u << SEARCH) >> 1u; step > 0u; step >>= 1u) {
    if (th(pos + step - 1u) <= key) {
      pos += step;
    }
  }
  return pos + u32(th(pos) <= key);
}

// ---- 64-bit integers as vec2<u32>(low, high) (add64 is in common.wgsl) ----

// Branch-free shifts by any amount (0 for 64 or more): WGSL takes a shift amount modulo 32.
fn wide_shl(v: vec2<u32>, s: u32) -> vec2<u32> {
  let r = s & 31u;
  let carry = select(v.x >> (32u - r), 0u, r == 0u);
  let small = vec2<u32>(v.x << r, (v.y << r) | carry);
  let large = vec2<u32>(0u, v.x << r);
  return select(select(small, large, s >= 32u), vec2<u32>(0u), s >= 64u);
}

fn wide_shr(v: vec2<u32>, s: u32) -> vec2<u32> {
  let r = s & 31u;
  let carry = select(v.y << (32u - r), 0u, r == 0u);
  let small = vec2<u32>((v.x >> r) | carry, v.y >> r);
  let large = vec2<u32>(v.y >> r, 0u);
  return select(select(small, large, s >= 32u), vec2<u32>(0u), s >= 64u);
}

// |a - b|
fn wide_absdiff(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let a_ge = a.y > b.y || (a.y == b.y && a.x >= b.x);
  let p = select(b, a, a_ge);
  let q = select(a, b, a_ge);
  return vec2<u32>(p.x - q.x, p.y - q.y - u32(q.x > p.x));
}

// a * b, exact (16-bit halves: every partial product fits a u32).
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = p01 + p10;
  let mid_carry = u32(mid < p01);
  let lo = p00 + (mid << 16u);
  let hi = a1 * b1 + (mid >> 16u) + (mid_carry << 16u) + u32(lo < p00);
  return vec2<u32>(lo, hi);
}

// ---- squared errors ----

// |x| = m * 2^e of finite float32 bits (subnormals: m < 2^23, e = -149).
struct Mag {
  m: u32,
  e: i32,
}

fn magnitude(b: u32) -> Mag {
  let a = b & ABS_MASK;
  let ef = a >> 23u;
  return Mag(select(a, (a & 0x7fffffu) | 0x800000u, ef != 0u), i32(max(ef, 1u)) - 150);
}

// (x - c)^2 ~= s * 2^e with s in [2^62, 2^64), or e = NO_TERM when x == c.
struct Term {
  s: vec2<u32>,
  e: i32,
}

fn squared_error(xb: u32, cb: u32) -> Term {
  var big = magnitude(xb);
  var small = magnitude(cb);
  if (small.e > big.e) {
    let t = big;
    big = small;
    small = t;
  }
  let gap = u32(big.e - small.e);
  let up = min(gap, 38u);
  // both operands in units of 2^(big.e - up): exact but for `small` when gap > 38
  let a = wide_shl(vec2<u32>(big.m, 0u), up);
  let down = gap - up;
  let b = vec2<u32>(select(0u, small.m >> down, down < 32u), 0u);
  let d = select(add64(a, b), wide_absdiff(a, b), ((xb ^ cb) & SIGN_BIT) == 0u);
  if (d.x == 0u && d.y == 0u) {
    return Term(vec2<u32>(0u), NO_TERM);
  }
  let lz = select(32u + countLeadingZeros(d.x), countLeadingZeros(d.y), d.y != 0u);
  let n = wide_shl(d, lz); // |d| = n * 2^(big.e - up - lz), top bit of n at 63
  // n ~= (t * 2^16 + u) * 2^16; n^2 / 2^96 ~= t^2 + t * u / 2^15 (u^2 / 2^32 < 1 left out)
  let t = n.y;
  let u = n.x >> 16u;
  let s = add64(mul_wide(t, t), wide_shr(mul_wide(t, u), 15u));
  return Term(s, 2 * (big.e - i32(up) - i32(lz)) + 64);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = tile_first(group_index(wid, P.groups_x), lid);
  let code_words = elems_per_vec() / 4u;
  var acc = vec2<u32>(0u);
  var acc_e = NO_TERM; // unit of acc: 2^acc_e
  for (var j = 0u; j < VPT; j++) {
    let w = tile_word(first, j, P.vecs, P.n);
    if (w.count == 0u) {
      break;
    }
    var codes = vec2<u32>(0u);
    for (var k = 0u; k < w.count; k++) {
      let b = elem_bits(w.q, k);
      if (!is_selected(w.e0 + k, b)) {
        continue;
      }
      let slot = search(signed_key(b));
      codes[k >> 2u] |= (slot + 1u) << ((k & 3u) * 8u);
      let term = squared_error(b, tv(slot));
      if (term.e == NO_TERM) {
        continue;
      }
      let unit = term.e + 13; // the term in units: s >> 13 < 2^51
      if (unit > acc_e) {
        acc = wide_shr(acc, u32(min(unit - acc_e, 64)));
        acc_e = unit;
      }
      acc = add64(acc, wide_shr(term.s, u32(acc_e - term.e)));
    }
    let cw = (w.e0 >> 2u);
    out[cw] = codes.x;
    if (code_words == 2u) {
      out[cw + 1u] = codes.y;
    }
  }
  let r = P.rec_base + 4u * thread_index(wid, lid, P.groups_x);
  out[r] = acc.x;
  out[r + 1u] = acc.y;
  out[r + 2u] = bitcast<u32>(acc_e);
  out[r + 3u] = 0u;
}
