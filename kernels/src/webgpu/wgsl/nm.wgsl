// Kernel 7: N:M pruning. Each thread takes `gpt` consecutive groups of M elements along the rows
// of the 2-D view (a row ends with a shorter group when cols % M != 0; groups never straddle rows,
// and slabs are cut between groups). In each group it keeps the N largest importances, ties to the
// lower index, NaN ranking as -Inf (nm.ts), writes the keep mask (one byte per element), and leaves a
// record of counts, flags and f32 sums that the host finishes in float64 (gpuNM.ts).
//
// Sums are of x * 2^kx and w * 2^kw, powers of two from the thread's own max |x| and max |w|, so
// no f32 overflow or underflow whatever the scale. NaN/Inf are flagged, not summed.

// uses: inputWords

struct Params {
  n: u32,         // elements in this slab
  cols: u32,
  first_col: u32, // column of the slab's element 0 (a group start)
  groups_x: u32,
  m: u32,
  keep: u32,      // N
  gpr: u32,       // groups per row: ceil(cols / m)
  g0: u32,        // index within its row of the slab's first group
  groups: u32,    // groups in this slab
  gpt: u32,       // groups per thread
  write_mask: u32,
  _pad: u32,
}

// 1: importance from the `imp` binding (float32); 0: |x|.
override HAS_IMP: u32 = 0u;
// 1 when M <= 4 (2:4 and the like): groups ranked with vector compares, no per-thread key array.
override SMALL_M: u32 = 0u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(2) var<storage, read> imp: array<u32>;
@group(0) @binding(3) var<storage, read_write> records: array<u32>;
@group(0) @binding(4) var<storage, read_write> mask: array<atomic<u32>>;

const RECORD_WORDS: u32 = 8u;
const MAX_M: u32 = 64u;
const NEG_INF_KEY: u32 = 0x007fffffu; // signed_key(-Inf)

// Float32 bits of the importance of element i: |x| by default.
fn weight_bits(i: u32) -> u32 {
  if (HAS_IMP == 1u) {
    return imp[i];
  }
  return src_elem(i) & ABS_MASK;
}

// Ranking key: orders like the importance, NaN as -Inf.
fn rank_key(b: u32) -> u32 {
  return select(signed_key(b), NEG_INF_KEY, (b & 0x7fffffffu) > 0x7f800000u);
}

// Keep bits (bit u for element u) of a group of len <= 4 starting at s0. Missing lanes get key 0,
// below every real key (NaN and -Inf map to NEG_INF_KEY > 0), so they never beat an element.
fn rank_small(s0: u32, len: u32, n_keep: u32) -> u32 {
  var k = vec4<u32>(0u);
  for (var u = 0u; u < len; u++) {
    k[u] = rank_key(weight_bits(s0 + u));
  }
  let lane = vec4<u32>(0u, 1u, 2u, 3u);
  var bits = 0u;
  for (var u = 0u; u < len; u++) {
    let ku = vec4<u32>(k[u]);
    let beaten = dot(vec4<u32>(select(k > ku, k >= ku, lane < vec4<u32>(u))), vec4<u32>(1u));
    bits |= u32(beaten < n_keep) << u;
  }
  return bits;
}

// Slab-local index of the first element of slab group gl.
fn group_start(gl: u32) -> u32 {
  let gg = P.g0 + gl;
  let row = gg / P.gpr;
  return row * P.cols + (gg % P.gpr) * P.m - P.first_col;
}

fn group_len(gl: u32) -> u32 {
  let j = (P.g0 + gl) % P.gpr;
  return min(P.m, P.cols - j * P.m);
}

fn flush_mask(word: u32, bits: u32, e0: u32, e1: u32) {
  if (P.write_mask == 0u) {
    return;
  }
  // A word wholly inside this thread's elements is its own; a shared edge word is OR-ed in.
  if (4u * word >= e0 && min(4u * word + 4u, P.n) <= e1) {
    atomicStore(&mask[word], bits);
  } else if (bits != 0u) {
    atomicOr(&mask[word], bits);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = thread_index(wid, lid, P.groups_x);
  let g_first = t * P.gpt;
  if (g_first >= P.groups) {
    return;
  }
  let g_end = min(g_first + P.gpt, P.groups);
  let e0 = group_start(g_first);
  let e1 = group_start(g_end - 1u) + group_len(g_end - 1u);

  // Pass 1: rank each group, keep bits (one per element of the thread, at most 256), mask, maxima.
  var keep_bits: array<u32, 8>;
  var keys: array<u32, MAX_M>;
  var kept = 0u;
  var max_x = 0u;
  var max_w = 0u;
  var flags = 0u; // 1: NaN x, 2: NaN x pruned, 4: Inf x, 8: Inf x pruned, 16: +Inf w, 32: +Inf w pruned
  var word = e0 >> 2u;
  var word_bits = 0u;
  // Walk the groups by position (row start, index in the row): no division per group. Row 0's
  // start is before the slab (u32 wrap-around), but every group of the slab is past it.
  var j = (P.g0 + g_first) % P.gpr;
  var row_start = ((P.g0 + g_first) / P.gpr) * P.cols - P.first_col;
  for (var g = g_first; g < g_end; g++) {
    let s0 = row_start + j * P.m;
    let len = min(P.m, P.cols - j * P.m);
    j += 1u;
    if (j == P.gpr) {
      j = 0u;
      row_start += P.cols;
    }
    let n_keep = min(P.keep, len);
    var small_bits = 0u;
    if (SMALL_M == 1u) {
      small_bits = rank_small(s0, len, n_keep);
    } else {
      for (var u = 0u; u < len; u++) {
        keys[u] = rank_key(weight_bits(s0 + u));
      }
    }
    for (var u = 0u; u < len; u++) {
      var keep: bool;
      if (SMALL_M == 1u) {
        keep = ((small_bits >> u) & 1u) == 1u;
      } else {
        // Kept when fewer than N elements beat it: a higher key, or an equal one earlier.
        let ku = keys[u];
        var beaten = 0u;
        for (var v = 0u; v < len; v++) {
          let kv = keys[v];
          beaten += u32((v < u && kv >= ku) || (v > u && kv > ku));
        }
        keep = beaten < n_keep;
      }
      let i = s0 + u;
      let local = i - e0;
      if (keep) {
        keep_bits[local >> 5u] |= 1u << (local & 31u);
      }
      kept += u32(keep);
      let xa = src_elem(i) & 0x7fffffffu;
      let wb = weight_bits(i);
      let wa = wb & 0x7fffffffu;
      let drop = select(1u, 0u, keep);
      if (xa < 0x7f800000u) {
        max_x = max(max_x, xa);
      } else if (xa == 0x7f800000u) {
        flags |= 4u | (drop << 3u);
      } else {
        flags |= 1u | (drop << 1u);
      }
      if (wa < 0x7f800000u) {
        max_w = max(max_w, wa);
      } else if (wb == 0x7f800000u) {
        flags |= 16u | (drop << 5u);
      }
      if ((i >> 2u) != word) {
        flush_mask(word, word_bits, e0, e1);
        word = i >> 2u;
        word_bits = 0u;
      }
      word_bits |= u32(keep) << (8u * (i & 3u));
    }
  }
  flush_mask(word, word_bits, e0, e1);

  // Pass 2: scaled sums over the same elements (re-read from cache).
  let kx = scale_exponent(max_x);
  let kw = scale_exponent(max_w);
  // Two levels (32 values, then their sums) keep the f32 rounding chains short.
  var sums = vec4<f32>(0.0);  // sum of squares, pruned squares, importance, importance removed
  var part = vec4<f32>(0.0);
  for (var i = e0; i < e1; i++) {
    let local = i - e0;
    if ((local & 31u) == 0u) {
      sums += part;
      part = vec4<f32>(0.0);
    }
    let keep = ((keep_bits[local >> 5u] >> (local & 31u)) & 1u) == 1u;
    let xa = src_elem(i) & 0x7fffffffu;
    let xs = select(0.0, abs_scaled(xa, kx), xa < 0x7f800000u);
    let sq = xs * xs;
    part.x += sq;
    part.y += select(sq, 0.0, keep);
    let wb = weight_bits(i);
    let wa = wb & 0x7fffffffu;
    // NaN and -Inf importance count as 0 (nm.ts); +Inf is flagged.
    let ws = select(0.0, select(1.0, -1.0, (wb & 0x80000000u) != 0u) * abs_scaled(wa, kw), wa < 0x7f800000u);
    part.z += ws;
    part.w += select(ws, 0.0, keep);
  }
  sums += part;

  let r = t * RECORD_WORDS;
  records[r + 0u] = kept;
  records[r + 1u] = max_x;
  records[r + 2u] = max_w;
  records[r + 3u] = flags;
  records[r + 4u] = bitcast<u32>(sums.x);
  records[r + 5u] = bitcast<u32>(sums.y);
  records[r + 6u] = bitcast<u32>(sums.z);
  records[r + 7u] = bitcast<u32>(sums.w);
}
