// Snippet for the k-means kernels (`// uses: input, kmeansSelect`): which elements are clustered, and
// the keys that order them (cpu/kmeans.ts). With HAS_MASK the caller's mask selects (one byte per
// element, 4 per word, at binding 2: nonzero = clustered); without it every element whose bits are
// not +-0. A selected NaN/Inf is selected like any value: the range pass counts it and the host
// hands the call to the CPU, which names the element.

override HAS_MASK: u32 = 0u;

// Bound (a 16-byte placeholder) even without a mask, so every k-means pipeline has one layout.
@group(0) @binding(2) var<storage, read> mask_words: array<u32>;

fn is_selected(i: u32, b: u32) -> bool {
  if (HAS_MASK == 1u) {
    return ((mask_words[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu) != 0u;
  }
  return (b & ABS_MASK) != 0u;
}

// Order-preserving key of float32 bits with -0 just below +0: kmeans.ts keyOf(v) + 2^31 (mod 2^32).
fn order_key(b: u32) -> u32 {
  return select(b | SIGN_BIT, ~b, (b & SIGN_BIT) != 0u);
}
