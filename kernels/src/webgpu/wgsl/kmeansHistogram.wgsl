// k-means, pass 2 (gpuKmeans.ts): the fine histogram of the selected values, bin = (key - k_min) >>
// shift (kmeans.ts histogramGeometry), with per bin the count and the SUM as a 64-bit two's
// complement integer of units of the bin's finest ulp. A bin spans at most 2^12 consecutive float32
// patterns, so every value in it is an integer of fewer than 2^25 such units and the integer sum is
// exact: the host gets the float64 sums the CPU adds up (which are exact too, see kmeans.ts).
//
// The bins (3 words each: count, sum low, sum high) stay on the device across slabs and are added
// to with global atomics. A thread first sums each run of its elements that fall into one bin (all of
// them for a tensor of equal values), so heavy bins cost one atomic per run, not per element.

// uses: input, kmeansSelect

struct Params {
  n: u32,
  vecs: u32,
  groups_x: u32,
  k_min: u32,   // order_key of the smallest selected value
  shift: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> hist: array<atomic<u32>>;

const NO_BIN: u32 = 0xffffffffu;

// Exponent field (at least 1) of the smallest magnitude the bin can hold: its unit is 2^(that - 150).
// gpuKmeans.ts binUnitExponent computes the same on the host.
fn bin_unit_exponent(bin: u32) -> u32 {
  let lo_key = P.k_min + (bin << P.shift);
  let hi_key = lo_key + ((1u << P.shift) - 1u);
  var mag = 0u; // a bin around zero holds subnormals only
  if (lo_key >= SIGN_BIT) {
    mag = lo_key & ABS_MASK;
  } else if (hi_key < SIGN_BIT) {
    mag = ~hi_key & ABS_MASK;
  }
  return max(mag >> 23u, 1u);
}

fn flush(bin: u32, count: u32, sum: vec2<u32>) {
  if (count == 0u) {
    return;
  }
  let at = 3u * bin;
  atomicAdd(&hist[at], count);
  var high = sum.y;
  if (sum.x != 0u) {
    let old = atomicAdd(&hist[at + 1u], sum.x);
    high += u32(old + sum.x < old); // the carry out of the low word
  }
  if (high != 0u) {
    atomicAdd(&hist[at + 2u], high);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = tile_first(group_index(wid, P.groups_x), lid);
  var bin = NO_BIN;
  var unit_e = 1u;
  var count = 0u;
  var sum = vec2<u32>(0u);
  for (var j = 0u; j < VPT; j++) {
    let w = tile_word(first, j, P.vecs, P.n);
    for (var k = 0u; k < w.count; k++) {
      let b = elem_bits(w.q, k);
      if (!is_selected(w.e0 + k, b)) {
        continue;
      }
      let this_bin = (order_key(b) - P.k_min) >> P.shift;
      if (this_bin != bin) {
        flush(bin, count, sum);
        bin = this_bin;
        unit_e = bin_unit_exponent(bin);
        count = 0u;
        sum = vec2<u32>(0u);
      }
      let a = b & ABS_MASK;
      let e = a >> 23u;
      let units = select(a, (a & 0x7fffffu) | 0x800000u, e != 0u) << (max(e, 1u) - unit_e);
      count += 1u;
      if ((b & SIGN_BIT) != 0u) {
        sum = add64(sum, vec2<u32>(~units + 1u, select(0xffffffffu, 0u, units == 0u))); // - units
      } else {
        sum = add64(sum, vec2<u32>(units, 0u));
      }
    }
  }
  flush(bin, count, sum);
}
