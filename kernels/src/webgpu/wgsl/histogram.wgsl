// Kernel 2: histogram over key intervals (histogram.ts builds the intervals). Each workgroup counts
// its tile into workgroup memory, then adds its nonzero counters to the global ones: two barriers
// per tile, no per-element global atomics except for intervals past the workgroup array.

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

// Workgroup counters available (set from the device's workgroup storage limit).
override LOCAL_CAP: u32 = 4096u;
// Keys per lookup cell, as a shift (histogram.ts LUT_SHIFT); the table holds 2^(32-LUT_SHIFT) + 1
// lookup entries before the thresholds.
override LUT_SHIFT: u32 = 14u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
// [lut: 2^(32-LUT_SHIFT) + 1 entries][thresholds: m entries], see histogram.ts.
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

var<workgroup> local_counts: array<atomic<u32>, LOCAL_CAP>;

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
  for (var i = lid; i < P.local_bins; i += WG) {
    atomicStore(&local_counts[i], 0u);
  }
  workgroupBarrier();

  let g = group_index(wid, P.groups_x);
  let first_vec = g * WG * VPT + lid;
  let epv = elems_per_vec();
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
      let key = select(signed_key(b), b & 0x7fffffffu, P.magnitude == 1u);
      let t = interval_of(key);
      if (t < P.local_bins) {
        atomicAdd(&local_counts[t], 1u);
      } else {
        atomicAdd(&counts[t], 1u);
      }
    }
  }

  workgroupBarrier();
  for (var i = lid; i < P.local_bins; i += WG) {
    let c = atomicLoad(&local_counts[i]);
    if (c != 0u) {
      atomicAdd(&counts[i], c);
    }
  }
}
