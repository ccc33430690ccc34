// Kernel 2: histogram over key intervals (histogram.ts builds the intervals). Each workgroup counts
// its tile into workgroup memory (localCounts.wgsl); intervals past the workgroup array are counted
// with global atomics.

// uses: input, localCounts

struct Params {
  n: u32,
  vecs: u32,
  groups_x: u32,
  magnitude: u32,   // 1: key = |x| bits; 0: signed key
  thresholds: u32,  // m; the tensor of intervals has m + 1 counters
  local_bins: u32,  // intervals counted in workgroup memory: min(m + 1, LOCAL_CAP)
  _pad0: u32,
  _pad1: u32,
}

// Keys per lookup cell, as a shift (histogram.ts LUT_SHIFT); the table holds 2^(32-LUT_SHIFT) + 1
// lookup entries before the thresholds.
override LUT_SHIFT: u32 = 14u;

@group(0) @binding(0) var<uniform> P: Params;
// [lut: 2^(32-LUT_SHIFT) + 1 entries][thresholds: m entries], see histogram.ts.
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

// Number of thresholds <= key.
fn interval_of(key: u32) -> u32 {
  let lut_len = (1u << (32u - LUT_SHIFT)) + 1u;
  let cell = key >> LUT_SHIFT;
  var lo = table[cell];
  var hi = table[cell + 1u];
  while (lo < hi) {
    let mid = (lo + hi) >> 1u;
    if (table[lut_len + mid] <= key) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  return lo;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  clear_local_counts(P.local_bins, lid);
  let first = tile_first(group_index(wid, P.groups_x), lid);
  for (var j = 0u; j < VPT; j++) {
    let w = tile_word(first, j, P.vecs, P.n);
    for (var k = 0u; k < w.count; k++) {
      let b = elem_bits(w.q, k);
      let t = interval_of(select(signed_key(b), b & ABS_MASK, P.magnitude == 1u));
      if (t < P.local_bins) {
        atomicAdd(&local_counts[t], 1u);
      } else {
        atomicAdd(&counts[t], 1u);
      }
    }
  }
  flush_local_counts(P.local_bins, lid);
}
