// Kernels 4-5, pass 1: what the error pass needs (scales, factors, the range of the values), as
// per-thread partials that the host combines (gpuQuantPasses.ts). Non-finite elements are left
// out, as on the CPU.
//
// AXIS 0 reduces segments: consecutive runs of `seg_len` elements of the flat tensor (quantization
// blocks, or the rows of the 2-D view), each cut into pieces of CHUNK elements, one thread per piece.
// AXIS 1 reduces the columns of the 2-D view, one thread per column and strip of CHUNK rows.
// Every thread writes [max |x| as float32 bits (compared as integers: exact), finite count,
// sum low word, sum high word].
//
// SUMS: the sum is a 64-bit fixed-point integer in units of 2^(e - 179), e the exponent field of
// the thread's max |x| (at least 1): the largest element is an integer of up to 53 bits, each smaller
// one is rounded to the unit (2^-53 of the largest at most), and 1024 of them cannot overflow. So
// the sums the host forms from these are as good as the CPU's float64 ones (a factor rounded to
// float32 from either agrees unless the sum sits within ~1e-13 of a rounding boundary), whereas
// float32 partial sums would move factors by ulps. Integer arithmetic also ignores subnormal flushing.

// uses: inputWords

// 0: segments, 1: columns.
override AXIS: u32 = 0u;
// Elements (AXIS 0) or rows (AXIS 1) per thread.
override CHUNK: u32 = 1024u;
// 1: also the fixed-point sums (a second pass over the thread's elements).
override SUMS: u32 = 0u;

struct Params {
  n: u32,           // elements in this slab
  groups_x: u32,
  seg_len: u32,     // AXIS 0: segment length; AXIS 1: columns of the 2-D view
  pos0: u32,        // the slab's first element, counted from the start of its first segment (or row)
  chunks: u32,      // AXIS 0: pieces per segment
  first_chunk: u32, // AXIS 0: the piece thread 0 works on (the slab may start inside a segment)
  threads: u32,     // threads with work
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

const OUT_WORDS: u32 = 4u;
const NONE: u32 = 0x7fffffffu; // a NaN: marks "no element here"

// The elements thread t reduces (AXIS 0: positions from the start of the slab's first segment;
// AXIS 1: indices r * cols + col from the start of its first row).
fn piece_of(t: u32) -> Piece {
  if (AXIS == 0u) {
    return segment_piece(t + P.first_chunk, P.chunks, CHUNK, P.seg_len, P.pos0, P.pos0 + P.n);
  }
  let cols = P.seg_len;
  let col = t % cols;
  let strip = t / cols;
  return Piece(strip * CHUNK * cols + col, CHUNK, cols);
}

// Float32 bits of the j-th element of piece w, NONE where it lies outside the slab.
fn nth(w: Piece, j: u32) -> u32 {
  let i = w.first + j * w.stride;
  if (j >= w.count || i < P.pos0 || i >= P.pos0 + P.n) {
    return NONE;
  }
  return src_elem(i - P.pos0);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = thread_index(wid, lid, P.groups_x);
  if (t >= P.threads) {
    return;
  }
  let w = piece_of(t);
  var max_bits = 0u;
  var count = 0u;
  for (var j = 0u; j < w.count; j++) {
    let a = nth(w, j) & 0x7fffffffu;
    let finite = a < 0x7f800000u;
    count += u32(finite);
    max_bits = max(max_bits, select(0u, a, finite));
  }

  var sum = vec2<u32>(0u);
  if (SUMS == 1u && count > 0u) {
    let base = max(max_bits >> 23u, 1u);
    for (var j = 0u; j < w.count; j++) {
      let b = nth(w, j);
      let a = b & ABS_MASK;
      if (a >= INF_BITS || a == 0u) {
        continue;
      }
      let ef = a >> 23u;
      let m = select(a, (a & 0x7fffffu) | 0x800000u, ef != 0u);
      // value = m * 2^(max(ef, 1) - 150) = m * 2^shift units
      let shift = i32(max(ef, 1u)) - i32(base) + 29;
      var units = vec2<u32>(0u);
      if (shift >= 0) {
        units = shl64(m, u32(shift));
      } else if (shift > -25) {
        let s = u32(-shift);
        units.x = (m + (1u << (s - 1u))) >> s;
      }
      if ((b & SIGN_BIT) != 0u) {
        // two's complement negation
        units = add64(~units, vec2<u32>(1u, 0u));
      }
      sum = add64(sum, units);
    }
  }
  let o = t * OUT_WORDS;
  out[o] = max_bits;
  out[o + 1u] = count;
  out[o + 2u] = sum.x;
  out[o + 3u] = sum.y;
}
