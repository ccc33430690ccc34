// Kernel 3: one counting pass of the radix selection (select.ts): among keys |x| with
// (key & prefix_mask) == prefix, count by digit (key >> shift) & (2^bits - 1). Counted in workgroup
// memory as the histogram is (localCounts.wgsl; LOCAL_CAP >= 2^bits).

// uses: input, localCounts

struct Params {
  n: u32,
  vecs: u32,
  groups_x: u32,
  shift: u32,
  digits: u32,      // 2^bits
  prefix_mask: u32,
  prefix: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  clear_local_counts(P.digits, lid);
  let first = tile_first(group_index(wid, P.groups_x), lid);
  let digit_mask = P.digits - 1u;
  for (var j = 0u; j < VPT; j++) {
    let w = tile_word(first, j, P.vecs, P.n);
    for (var k = 0u; k < w.count; k++) {
      let key = elem_bits(w.q, k) & ABS_MASK;
      if ((key & P.prefix_mask) == P.prefix) {
        atomicAdd(&local_counts[(key >> P.shift) & digit_mask], 1u);
      }
    }
  }
  flush_local_counts(P.digits, lid);
}
