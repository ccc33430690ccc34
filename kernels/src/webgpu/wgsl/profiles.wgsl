// Kernel 6: row and column profiles of the 2-D view (rows x cols, row-major). One thread per piece
// of a row (AXIS 0: up to SPAN consecutive elements of one row) or per piece of a column (AXIS 1:
// one column over up to SPAN consecutive rows, neighbouring threads on neighbouring columns). Each
// thread writes a record; the host folds records into the profiles (gpuProfiles.ts).
//
// Record: max |x| over finite values as float bits (bits of non-negative floats order like the
// values, so maxima are exact), and with L2 the sum of squares of x * 2^k, k a power of two taken
// from that max (no f32 overflow or underflow whatever the scale; the host divides by 2^(2k)). A
// NaN (or Inf) in the piece makes the sum NaN (or +Inf), as in float64.
//
// Coordinates: "ext" = slab element index + first_col, so ext 0 is the start of the slab's first row.

// uses: inputWords

struct Params {
  n: u32,          // elements in this slab
  cols: u32,
  first_col: u32,  // column of the slab's element 0
  groups_x: u32,
  threads: u32,    // threads with a piece
  span: u32,       // AXIS 0: elements per row piece; AXIS 1: rows per column piece
  segs: u32,       // AXIS 0: pieces per row
  first: u32,      // AXIS 0: index of the slab's first piece; AXIS 1: first column
  width: u32,      // AXIS 1: columns covered
  rows_local: u32, // rows the slab touches
  l2: u32,
  _pad: u32,
}

// 0: row pieces, 1: column pieces.
override AXIS: u32 = 0u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(2) var<storage, read_write> records: array<u32>;

// The elements of thread t, as ext indices.
fn piece_of(t: u32) -> Piece {
  let end = P.n + P.first_col;
  if (AXIS == 0u) {
    return segment_piece(t + P.first, P.segs, P.span, P.cols, P.first_col, end);
  }
  let c = P.first + t % P.width;
  let r0 = (t / P.width) * P.span;
  let r1 = min(r0 + P.span, P.rows_local);
  // Only the first and last rows of a slab can be partial: trim them.
  var a = r0;
  var b = r1;
  if (a < b && a * P.cols + c < P.first_col) {
    a += 1u;
  }
  if (a < b && (b - 1u) * P.cols + c >= end) {
    b -= 1u;
  }
  return Piece(a * P.cols + c, select(0u, b - a, b > a), P.cols);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = thread_index(wid, lid, P.groups_x);
  if (t >= P.threads) {
    return;
  }
  let piece = piece_of(t);
  let base = piece.first - P.first_col;

  var mx = 0u;
  var nan = false;
  var inf = false;
  for (var j = 0u; j < piece.count; j++) {
    let a = src_elem(base + j * piece.stride) & 0x7fffffffu;
    let finite = a < 0x7f800000u;
    mx = max(mx, select(0u, a, finite));
    nan = nan || a > 0x7f800000u;
    inf = inf || a == 0x7f800000u;
  }

  if (P.l2 == 0u) {
    records[t] = mx;
    return;
  }
  var sum_bits = 0u;
  if (nan) {
    sum_bits = 0x7fc00000u;
  } else if (inf) {
    sum_bits = 0x7f800000u;
  } else if (mx != 0u) {
    let k = scale_exponent(mx);
    // Four lanes, emptied into the total every 64 values: short rounding chains (about 1e-7).
    var s = vec4<f32>(0.0);
    var total = 0.0;
    for (var j = 0u; j < piece.count; j++) {
      let v = abs_scaled(src_elem(base + j * piece.stride) & 0x7fffffffu, k);
      s[j & 3u] += v * v;
      if ((j & 63u) == 63u) {
        total += (s.x + s.y) + (s.z + s.w);
        s = vec4<f32>(0.0);
      }
    }
    sum_bits = bitcast<u32>(total + ((s.x + s.y) + (s.z + s.w)));
  }
  records[2u * t] = mx;
  records[2u * t + 1u] = sum_bits;
}
