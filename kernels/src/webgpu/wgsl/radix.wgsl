// Kernel 3: one counting pass of the radix selection (select.ts): among keys |x| with
// (key & prefix_mask) == prefix, count by digit (key >> shift) & (2^bits - 1). Same workgroup-memory
// scheme as the histogram.

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

// Largest digit count (2^bits) a pass may use; set per pipeline.
override DIGITS_CAP: u32 = 2048u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

var<workgroup> local_counts: array<atomic<u32>, DIGITS_CAP>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  for (var i = lid; i < P.digits; i += WG) {
    atomicStore(&local_counts[i], 0u);
  }
  workgroupBarrier();

  let g = group_index(wid, P.groups_x);
  let first_vec = g * WG * VPT + lid;
  let epv = elems_per_vec();
  let digit_mask = P.digits - 1u;
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
      let key = elem_bits(q, k) & 0x7fffffffu;
      if ((key & P.prefix_mask) == P.prefix) {
        atomicAdd(&local_counts[(key >> P.shift) & digit_mask], 1u);
      }
    }
  }

  workgroupBarrier();
  for (var i = lid; i < P.digits; i += WG) {
    let c = atomicLoad(&local_counts[i]);
    if (c != 0u) {
      atomicAdd(&counts[i], c);
    }
  }
}
