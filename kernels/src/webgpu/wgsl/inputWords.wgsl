// Snippet for kernels that read one tensor an element at a time (`// uses: inputWords`): nm,
// profiles, quantReduce. The slab is bound at binding 1 as u32 words, not vec4 words as in
// input.wgsl: on llvmpipe a single-element load from a vec4 array costs a whole vec4 load.

@group(0) @binding(1) var<storage, read> src: array<u32>;

// Float32 bits of element i of the slab.
fn src_elem(i: u32) -> u32 {
  return unpack_elem(src[elem_word(i, DTYPE)], i, DTYPE);
}
