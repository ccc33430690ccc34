// Snippet for kernels that stream one tensor tile by tile (`// uses: input`): the slab bound at
// binding 1 as vec4<u32> words whatever its dtype (4 float32 or 8 halves per load).
//
// Tiles (common.wgsl tile_first): a kernel walks its thread's elements, in the same order in every
// pass, as
//   for (var j = 0u; j < VPT; j++) {
//     let w = tile_word(first, j, P.vecs, P.n);
//     for (var k = 0u; k < w.count; k++) { let b = elem_bits(w.q, k); ... }
//   }
// (gpuQuantPasses.ts forThreadSlice walks the same elements on the host).

@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;

// The uniforms of a kernel that needs only the slab's shape (stats, fixedSum); the others declare
// their own Params, starting with these fields.
struct SlabShape {
  n: u32,        // elements in this slab
  vecs: u32,     // vec4<u32> words holding them
  groups_x: u32, // workgroups along x of the 2-D dispatch
  _pad: u32,
}

// One word of a thread's tile.
struct TileWord {
  q: vec4<u32>,
  count: u32, // elements of q below n: elems_per_vec() but in the slab's last word; 0 past it
  e0: u32,    // slab index of the word's first element
}

// Word j of the thread whose first word is `first`, in a slab of `vecs` words holding n elements.
fn tile_word(first: u32, j: u32, vecs: u32, n: u32) -> TileWord {
  let v = first + j * WG;
  if (v >= vecs) {
    return TileWord(vec4<u32>(0u), 0u, 0u);
  }
  let e0 = v * elems_per_vec();
  return TileWord(src[v], min(elems_per_vec(), n - e0), e0);
}
