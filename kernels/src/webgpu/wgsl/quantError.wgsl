// Kernels 4-5, pass 2: x_hat for every element and the error sums (gpuQuantPasses.ts). One thread,
// no barrier, per slice of the tile; each thread writes a RECORD_WORDS record, and x_hat itself
// when DEQ is set. The host adds the records in float64.
//
// x_hat equals the CPU's bit for bit (cpu/quantError.ts, cpu/quantFactored.ts):
// - quantization: x_n = RN(x / s), slot = thresholds <= x_n (compared as keys, ties already folded
//   into the thresholds), x_hat = RN(T * s). WGSL's division is only accurate to 2.5 ulp, and
//   subnormals may be flushed, so the f32 quotient decides only when its key is more than MARGIN
//   keys away from both neighbouring thresholds; otherwise (and for subnormal or extreme operands)
//   the quotient is recomputed exactly in integer arithmetic. Multiplication is correctly rounded in
//   WGSL; only products that are or involve subnormals take the integer path.
// - factorization: x_hat = RN(ri * c_j) with ri the float64 ratio r_i / sum(r), given as hi + lo
//   (two float32). hi * c_j's rounding error is recovered exactly from 12-bit halves (every partial
//   product is exact, so a fused multiply-add cannot change it), then added with lo * c_j. The one
//   exception: an estimate below the float32 normal range is RN(hi * c_j), which can be one unit
//   (2^-149) off.
// Elements that need an integer path are deferred and worked through outside the element loop.
//
// Sums: x and x - x_hat are rescaled by 2^-K (K from the host: 2^K >= every |x|, |x_hat|) on their
// bits, so squares neither overflow nor lose subnormal inputs; each thread sums in f32 over short
// chains (64 terms, then into an outer sum). max |x - x_hat| (rounded to f32) is kept with the
// element's index and the count of elements that tie with it: the host recomputes the winners (or
// the whole slice of a thread with ties) in float64, which makes max_abs_err exact.

// uses: input

// 0: block scales, 1: rank-1 scales, 2: rank-1 factors (hi, lo per row), 3: one constant estimate.
override MODE: u32 = 0u;
// 1: also sum h(v)^2 and (h(v) - h(v_hat))^2 with h(v) = 1 / (sqrt(v) + 1e-6).
override SECOND: u32 = 0u;
// 1: write x_hat (float32 bits) to out[0 .. n).
override DEQ: u32 = 0u;
// log2 of the (padded) threshold count searched.
override SEARCH: u32 = 4u;
// 1: always take the integer paths of quantization (tests: llvmpipe divides exactly and keeps
// subnormals, so there the float paths never need them).
override EXACT: u32 = 0u;

struct Params {
  n: u32,
  vecs: u32,
  groups_x: u32,
  seg_len: u32,     // block size, or columns of the 2-D view
  pos0: u32,        // the slab's first element, counted from the start of its first segment
  col_base: u32,    // column entries start here in `tab` (modes 1, 2)
  step_q: u32,      // WG * elems_per_vec() = step_q * seg_len + step_r
  step_r: u32,
  k: i32,           // sums are of values times 2^-k
  gain: f32,        // h(v) is summed times `gain` (a power of two: no underflow for huge v)
  const_bits: u32,  // mode 3: the estimate
  rec_base: u32,    // first word of the records in `out`
  zero: u32,        // 0, unknown to the compiler: keeps one product from being fused into an add
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  // signed keys of the decision thresholds, padded with 0xffffffff to 2^SEARCH entries
  th: array<vec4<u32>, 64>,
  // float32 bits of each codebook slot (distinct entries)
  tv: array<vec4<u32>, 64>,
}

@group(0) @binding(0) var<uniform> P: Params;
// per segment: scale bits (modes 0, 1) or [hi, lo] bits (mode 2); from col_base: per column
@group(0) @binding(2) var<storage, read> tab: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

const RECORD_WORDS: u32 = 12u;
// Keys between the f32 quotient and the exact one: 2.5 ulp, doubled where a binade is crossed.
const MARGIN: u32 = 8u;
const UPDATE_EPS: f32 = 1e-6;

fn th(i: u32) -> u32 {
  return P.th[i >> 2u][i & 3u];
}

fn tv(i: u32) -> u32 {
  return P.tv[i >> 2u][i & 3u];
}

// Number of thresholds <= key: the slot of the nearest codebook entry.
fn search(key: u32) -> u32 {
  var pos = 0u;
  for (var step = (1u << SEARCH) >> 1u; step > 0u; step >>= 1u) {
    if (th(pos + step - 1u) <= key) {
      pos += step;
    }
  }
  return pos + u32(th(pos) <= key);
}

// ---- exact float32 arithmetic on integers -------------------------------------------------------

struct Unpacked {
  m: u32, // 24-bit significand, leading bit set
  e: i32, // value = m * 2^e
}

// |x| of a nonzero finite float32, from its bits (subnormals normalised).
fn unpack(a: u32) -> Unpacked {
  let ef = a >> 23u;
  if (ef == 0u) {
    let sh = countLeadingZeros(a) - 8u;
    return Unpacked(a << sh, -149 - i32(sh));
  }
  return Unpacked((a & 0x7fffffu) | 0x800000u, i32(ef) - 150);
}

// Float32 bits of (q / 2^24) * 2^e rounded to nearest-even, q in [2^24, 2^25), `sticky` set when
// nonzero bits were dropped below q. Subnormal results are rounded at their own precision.
fn round_f32(sign: u32, q: u32, sticky: bool, e: i32) -> u32 {
  let be = e + 127;
  if (be >= 1) {
    let m = q >> 1u;
    let up = (q & 1u) == 1u && (sticky || (m & 1u) == 1u);
    return sign | ((u32(be) << 23u) + (m - 0x800000u) + u32(up));
  }
  let sh = u32(2 - be);
  if (sh > 25u) {
    return sign;
  }
  let m = q >> sh;
  let rbit = (q >> (sh - 1u)) & 1u;
  let st = sticky || (q & ((1u << (sh - 1u)) - 1u)) != 0u;
  let up = rbit == 1u && (st || (m & 1u) == 1u);
  return sign | (m + u32(up));
}

// RN(x / s) for finite x and a positive finite s, by long division of the significands.
fn exact_div(b: u32, s_bits: u32) -> u32 {
  let a = b & ABS_MASK;
  if (a == 0u) {
    return b;
  }
  let x = unpack(a);
  let y = unpack(s_bits);
  var r = x.m;
  var e = x.e - y.e;
  if (r < y.m) {
    r = r << 1u;
    e -= 1;
  }
  var q = 0u;
  for (var i = 0u; i < 25u; i++) {
    q = q << 1u;
    if (r >= y.m) {
      r -= y.m;
      q |= 1u;
    }
    r = r << 1u;
  }
  return round_f32(b & SIGN_BIT, q, r != 0u, e);
}

// RN(t * s) for nonzero finite t and s, from the 48-bit product of the significands.
fn exact_mul(t: u32, s: u32) -> u32 {
  let x = unpack(t & ABS_MASK);
  let y = unpack(s & ABS_MASK);
  let a0 = x.m & 0xffffu;
  let a1 = x.m >> 16u;
  let b0 = y.m & 0xffffu;
  let b1 = y.m >> 16u;
  let p00 = a0 * b0;
  let mid = a0 * b1 + a1 * b0; // < 2^25
  let lo = p00 + (mid << 16u);
  let hi = a1 * b1 + (mid >> 16u) + u32(lo < p00);
  let e = x.e + y.e;
  if (hi >= 0x8000u) {
    return round_f32((t ^ s) & SIGN_BIT, (hi << 9u) | (lo >> 23u), (lo & 0x7fffffu) != 0u, e + 47);
  }
  return round_f32((t ^ s) & SIGN_BIT, (hi << 10u) | (lo >> 22u), (lo & 0x3fffffu) != 0u, e + 46);
}

// ---- x_hat --------------------------------------------------------------------------------------
// The float paths answer SLOW where only the integer paths are exact; such elements are deferred
// (see main).

const SLOW: u32 = 0xffffffffu; // a NaN pattern: never an x_hat of a finite x

// The slot of key and whether no threshold lies within MARGIN keys of it. Up to 16 thresholds, all
// are compared with key - MARGIN and key + MARGIN (the same table entry for every lane: no gathers;
// equal counts mean no threshold in between, and then either count is the slot); above, a binary
// search and its two neighbours.
fn slot_clear(key: u32) -> vec2<u32> {
  if (SEARCH <= 4u) {
    let below = key - MARGIN; // finite keys lie in [2^23, 2^32 - 2^23]: no wrap-around
    let above = key + MARGIN;
    var lo = 0u;
    var hi = 0u;
    for (var i = 0u; i < (1u << SEARCH); i++) {
      let t = th(i);
      lo += u32(t <= below);
      hi += u32(t <= above);
    }
    return vec2<u32>(hi, u32(lo == hi));
  }
  let slot = search(key);
  let clear = (slot == 0u || key - th(slot - 1u) > MARGIN) && th(slot) - key > MARGIN;
  return vec2<u32>(slot, u32(clear));
}

// RN(T * s) for the codebook entry of RN(x / s), s > 0, or SLOW.
fn quant_fast(b: u32, s_bits: u32) -> u32 {
  let es = s_bits >> 23u;
  let xq = bitcast<u32>(bitcast<f32>(b) / bitcast<f32>(s_bits));
  let sc = slot_clear(signed_key(xq));
  let eq = xq & EXP_MASK;
  var fast = EXACT == 0u && es >= 1u && es <= 252u && eq != EXP_MASK && (eq != 0u || (b & ABS_MASK) == 0u);
  fast = fast && sc.y == 1u;
  let t = tv(sc.x);
  if ((t & ABS_MASK) == 0u) {
    return select(SLOW, t, fast);
  }
  let p = bitcast<u32>(bitcast<f32>(t) * bitcast<f32>(s_bits));
  fast = fast && (t & EXP_MASK) != 0u && (p & EXP_MASK) != 0u;
  return select(SLOW, p, fast);
}

// The same, through the integer paths only.
fn quant_exact(b: u32, s_bits: u32) -> u32 {
  let t = tv(search(signed_key(exact_div(b, s_bits))));
  if ((t & ABS_MASK) == 0u) {
    return t;
  }
  return exact_mul(t, s_bits);
}

// RN((hi + lo) * c) (see the header), or SLOW where hi, c or hi * c are subnormal (flushed by f32
// arithmetic). There factored_exact stands in.
fn factored_fast(hi_bits: u32, lo: f32, c_bits: u32) -> u32 {
  let hi = bitcast<f32>(hi_bits);
  let c = bitcast<f32>(c_bits);
  let pb = bitcast<u32>(hi * c) | P.zero;
  if ((hi_bits & ABS_MASK) == 0u || (c_bits & ABS_MASK) == 0u) {
    return pb;
  }
  let p = bitcast<f32>(pb);
  let h1 = bitcast<f32>(bitcast<u32>(hi) & 0xfffff000u);
  let h2 = hi - h1;
  let c1 = bitcast<f32>(bitcast<u32>(c) & 0xfffff000u);
  let c2 = c - c1;
  let err = ((h1 * c1 - p) + h1 * c2 + h2 * c1) + h2 * c2;
  let t = err + lo * c;
  let fast = (hi_bits & EXP_MASK) != 0u && (c_bits & EXP_MASK) != 0u && (pb & EXP_MASK) != 0u;
  return select(SLOW, select(bitcast<u32>(p + t), pb, t == 0.0), fast);
}

// RN(hi * c) computed exactly: lo moves a subnormal result only when hi * c lies within 2^-24 of it
// from a rounding boundary.
fn factored_exact(hi_bits: u32, c_bits: u32) -> u32 {
  return exact_mul(hi_bits, c_bits);
}

// value(b) * 2^-k, exact, or 0 below the normal range (negligible next to the 2^-2 .. 1 of the
// largest square once scaled).
// Branch-free: subnormal inputs are normalised on the integer significand.
fn scaled(b: u32) -> f32 {
  let a = b & ABS_MASK;
  let sub = a < 0x800000u;
  let sh = select(0u, countLeadingZeros(a | 1u) - 8u, sub);
  let m = select(a & 0x7fffffu, (a << sh) & 0x7fffffu, sub);
  let e2 = select(i32(a >> 23u), 1 - i32(sh), sub) - P.k;
  let r = bitcast<f32>((b & SIGN_BIT) | (u32(clamp(e2, 1, 254)) << 23u) | m);
  return select(r, 0.0, e2 < 1 || a == 0u);
}

// ---- the pass -----------------------------------------------------------------------------------

struct Sums {
  count: u32,
  zeros: u32,
  hnan: u32,     // elements whose h(v) or h(v_hat) is NaN on the CPU (negative v or v_hat factor)
  max_err: f32,
  arg: u32,
  ties: u32,     // elements whose rounded |d| equals max_err (the host then checks them all)
  inner: vec4<f32>, // x^2, d^2, h^2, (h - h_hat)^2 over the current chain
  outer: vec4<f32>,
  terms: u32,
}

// Adds element e (finite bits b) reconstructed as qb to the sums.
fn account(acc: ptr<function, Sums>, b: u32, qb: u32, e: u32, neg_hat: bool) {
  if (DEQ == 1u) {
    out[e] = qb;
  }
  let xs = scaled(b);
  let d = xs - scaled(qb);
  (*acc).count += 1u;
  (*acc).zeros += u32((qb & ABS_MASK) == 0u);
  let ad = abs(d);
  if (ad > (*acc).max_err) {
    (*acc).max_err = ad;
    (*acc).arg = e;
    (*acc).ties = 0u;
  }
  (*acc).ties += u32(ad == (*acc).max_err);
  var terms = vec4<f32>(xs * xs, d * d, 0.0, 0.0);
  if (SECOND == 1u) {
    (*acc).hnan += u32(b > SIGN_BIT || neg_hat);
    let x = bitcast<f32>(b);
    let x_hat = bitcast<f32>(qb);
    let rx = sqrt(abs(x));
    let rq = sqrt(abs(x_hat));
    let ha = P.gain / (rx + UPDATE_EPS);
    // h(v) - h(v_hat) = (sqrt(v_hat) - sqrt(v)) h(v) h(v_hat), the difference taken as
    // (v_hat - v) / (sqrt(v_hat) + sqrt(v)): no cancellation when v_hat is close to v.
    let den = rx + rq;
    let diff = select(0.0, (x_hat - x) / den, den > 0.0);
    let he = (diff * ha) / (rq + UPDATE_EPS);
    terms.z = ha * ha;
    terms.w = he * he;
  }
  (*acc).inner += terms;
  (*acc).terms += 1u;
  if ((*acc).terms == 64u) {
    (*acc).outer += (*acc).inner;
    (*acc).inner = vec4<f32>(0.0);
    (*acc).terms = 0u;
  }
}

// Elements a thread defers to the integer paths before it works through them. SIMD software
// renderers (llvmpipe) run every branch of a loop body for all lanes, so the integer code lives
// outside the element loop and runs once per thread, plus once per DEFER deferred elements.
const DEFER: u32 = 16u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, P.groups_x);
  let first = tile_first(g, lid);
  let epv = elems_per_vec();
  var acc = Sums(0u, 0u, 0u, 0.0, 0u, 0u, vec4<f32>(0.0), vec4<f32>(0.0), 0u);
  var nonfinite = 0u;
  // deferred elements: bits, index, and the scale (or the factors hi, c)
  var def_b: array<u32, DEFER>;
  var def_e: array<u32, DEFER>;
  var def_s: array<u32, DEFER>;
  var def_c: array<u32, DEFER>;
  var nd = 0u;

  // Segment (block or row, counted from the slab's first) and position of the thread's next word,
  // and of its next element.
  let p0 = P.pos0 + first * epv;
  var seg = p0 / P.seg_len;
  var pos = p0 - seg * P.seg_len;
  var es = seg;
  var ep = pos;
  var j = 0u; // the thread's word
  var k = 0u; // the next element in it

  loop {
    // Float paths, until the thread's words are done or the deferred list is full.
    loop {
      if (j >= VPT || nd == DEFER) {
        break;
      }
      let w = tile_word(first, j, P.vecs, P.n);
      if (w.count == 0u) {
        j = VPT;
        break;
      }
      loop {
        if (k >= w.count || nd == DEFER) {
          break;
        }
        let e = w.e0 + k;
        let b = elem_bits(w.q, k);
        if ((b & ABS_MASK) >= INF_BITS) {
          nonfinite += 1u;
          if (DEQ == 1u) {
            out[e] = QNAN_BITS;
          }
        } else {
          var qb = 0u;
          var neg_hat = false;
          var w2 = 0u;
          var w3 = 0u;
          if (MODE <= 1u) {
            w2 = tab[es];
            if (MODE == 1u) {
              w2 = min(w2, tab[P.col_base + ep]);
            }
            if (w2 != 0u) {
              qb = quant_fast(b, w2);
            }
          } else if (MODE == 2u) {
            w2 = tab[2u * es];
            w3 = tab[P.col_base + ep];
            qb = factored_fast(w2, bitcast<f32>(tab[2u * es + 1u]), w3);
            neg_hat = w2 > SIGN_BIT || w3 > SIGN_BIT;
          } else {
            qb = P.const_bits;
            neg_hat = qb > SIGN_BIT;
          }
          if (qb == SLOW) {
            def_b[nd] = b;
            def_e[nd] = e;
            def_s[nd] = w2;
            def_c[nd] = w3;
            nd += 1u;
          } else {
            if (MODE <= 1u) {
              neg_hat = qb > SIGN_BIT;
            }
            account(&acc, b, qb, e, neg_hat);
          }
        }
        k += 1u;
        ep += 1u;
        if (ep == P.seg_len) {
          ep = 0u;
          es += 1u;
        }
      }
      if (k >= w.count) {
        // The thread's next word is WG words on.
        j += 1u;
        k = 0u;
        seg += P.step_q;
        pos += P.step_r;
        if (pos >= P.seg_len) {
          pos -= P.seg_len;
          seg += 1u;
        }
        es = seg;
        ep = pos;
      }
    }

    // Integer paths for the deferred elements.
    for (var i = 0u; i < nd; i++) {
      var qb: u32;
      var neg_hat: bool;
      if (MODE <= 1u) {
        qb = quant_exact(def_b[i], def_s[i]);
        neg_hat = qb > SIGN_BIT;
      } else {
        qb = factored_exact(def_s[i], def_c[i]);
        neg_hat = def_s[i] > SIGN_BIT || def_c[i] > SIGN_BIT;
      }
      account(&acc, def_b[i], qb, def_e[i], neg_hat);
    }
    nd = 0u;
    if (j >= VPT) {
      break;
    }
  }

  let sums = acc.outer + acc.inner;
  let r = P.rec_base + (g * WG + lid) * RECORD_WORDS;
  out[r + 0u] = acc.count;
  out[r + 1u] = nonfinite;
  out[r + 2u] = acc.zeros;
  out[r + 3u] = acc.hnan;
  out[r + 4u] = bitcast<u32>(acc.max_err);
  out[r + 5u] = acc.arg;
  out[r + 6u] = bitcast<u32>(sums.x);
  out[r + 7u] = bitcast<u32>(sums.y);
  out[r + 8u] = bitcast<u32>(sums.z);
  out[r + 9u] = bitcast<u32>(sums.w);
  out[r + 10u] = acc.ties;
  out[r + 11u] = 0u;
}
