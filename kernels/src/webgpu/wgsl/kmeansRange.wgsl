// k-means, pass 1 (gpuKmeans.ts): per thread, over its tile, the count of selected elements, how many
// of them are NaN/Inf, and their smallest and largest order_key. The host combines the records and
// derives the fine histogram's bins from the two keys (kmeans.ts histogramGeometry).

// uses: input, kmeansSelect

struct Params {
  n: u32,
  vecs: u32,
  groups_x: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> records: array<vec4<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = tile_first(group_index(wid, P.groups_x), lid);
  var count = 0u;
  var nonfinite = 0u;
  var lo = 0xffffffffu;
  var hi = 0u;
  for (var j = 0u; j < VPT; j++) {
    let w = tile_word(first, j, P.vecs, P.n);
    for (var k = 0u; k < w.count; k++) {
      let b = elem_bits(w.q, k);
      if (is_selected(w.e0 + k, b)) {
        count += 1u;
        nonfinite += u32((b & ABS_MASK) >= INF_BITS);
        let key = order_key(b);
        lo = min(lo, key);
        hi = max(hi, key);
      }
    }
  }
  records[thread_index(wid, lid, P.groups_x)] = vec4<u32>(count, nonfinite, lo, hi);
}
