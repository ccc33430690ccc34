// Quantization codebooks of ALGORITHMS.md §2 (4-bit values exact, other widths built the same way)
// and a fast nearest-entry lookup with PyTorch's `argmin(|x - T|)` semantics.
//
// Every codebook is a Float32Array of 2^b entries sorted ascending. Entries are float32 because the
// reference quantizes float32 tensors against a float32 codebook.

export type CodebookKind =
  /** dynamic exponent (bitsandbytes `create_dynamic_map`), signed: 0 and 1 plus ±values */
  | 'de-signed'
  /** dynamic exponent, unsigned: contains 0 (the zero-point problem) */
  | 'de-unsigned'
  /** unsigned DE with its 0 replaced by the smallest nonzero entry (a duplicate entry, as in the 4-bit optimizer paper) */
  | 'de0'
  /** `linspace(0, 1, 2^b)` */
  | 'linear-zero'
  /** `linspace(0, 1, 2^b + 1)[1:]`: no zero */
  | 'linear-nozero'
  /** `linspace(-1, 1, 2^b)` */
  | 'linear-signed';

export const CODEBOOK_KINDS: readonly CodebookKind[] = ['de-signed', 'de-unsigned', 'de0', 'linear-zero', 'linear-nozero', 'linear-signed'];

export interface Codebook {
  kind: CodebookKind;
  bits: number;
  /** 2^bits float32 entries, ascending (duplicates allowed: DE-0). */
  values: Float32Array;
}

/** ALGORITHMS.md §2, b = 4, exact (each decimal rounded once to float32). */
export const DE4_SIGNED: Float32Array = Float32Array.from([
  -0.8875, -0.6625, -0.4375, -0.2125, -0.0775, -0.0325, -0.0055, 0, 0.0055, 0.0325, 0.0775, 0.2125, 0.4375, 0.6625, 0.8875, 1,
]);
export const DE4_UNSIGNED: Float32Array = Float32Array.from([
  0, 0.00325, 0.00775, 0.02125, 0.04375, 0.06625, 0.08875, 0.15625, 0.26875, 0.38125, 0.49375, 0.60625, 0.71875, 0.83125, 0.94375, 1,
]);
export const DE0_4: Float32Array = Float32Array.from([
  0.00325, 0.00325, 0.00775, 0.02125, 0.04375, 0.06625, 0.08875, 0.15625, 0.26875, 0.38125, 0.49375, 0.60625, 0.71875, 0.83125, 0.94375, 1,
]);

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new RangeError(`codebook bit width must be an integer in 2..8, got ${bits}`);
}

/**
 * The dynamic-exponent codebook of bitsandbytes' `create_dynamic_map(signed, max_exponent_bits = b - 1,
 * total_bits = b)` (with its "non-sign bits = b - 1" for both signednesses, which is what reproduces the
 * published 4-bit tables). For exponent level i = 0..b-2 (scale 10^(i - (b - 2))) it takes the midpoints
 * of `linspace(0.1, 1, k)` with k = 2^i + 1 boundaries (signed, mirrored to negative) or 2^(i+1) + 1
 * (unsigned), then adds 0 and 1. Computed in float64 and rounded once to float32 (bitsandbytes works
 * in float32 steps, which may differ by an ulp); for b = 4 this gives the listed decimals exactly (tested).
 */
export function dynamicExponentCodebook(bits: number, signed: boolean): Float32Array {
  checkBits(bits);
  const out: number[] = [0, 1];
  for (let i = 0; i <= bits - 2; i++) {
    const scale = 10 ** (i - (bits - 2));
    const boundaries = signed ? 2 ** i + 1 : 2 ** (i + 1) + 1;
    for (let k = 0; k + 1 < boundaries; k++) {
      const lo = 0.1 + (0.9 * k) / (boundaries - 1);
      const hi = 0.1 + (0.9 * (k + 1)) / (boundaries - 1);
      const v = ((lo + hi) / 2) * scale;
      out.push(v);
      if (signed) out.push(-v);
    }
  }
  const values = Float32Array.from(out).sort();
  if (values.length !== 2 ** bits) throw new Error(`internal: DE codebook has ${values.length} entries for ${bits} bits`);
  return values;
}

/** `linspace(lo, hi, count)` rounded once to float32 (torch may differ by one ulp in a few entries). */
function linspace32(lo: number, hi: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let k = 0; k < count; k++) out[k] = lo + ((hi - lo) * k) / (count - 1);
  return out;
}

/** The 2^bits-entry codebook of a kind, ascending. b = 4 gives exactly the tables of ALGORITHMS.md. */
export function makeCodebook(kind: CodebookKind, bits = 4): Codebook {
  checkBits(bits);
  const n = 2 ** bits;
  let values: Float32Array;
  switch (kind) {
    case 'de-signed':
      values = bits === 4 ? DE4_SIGNED.slice() : dynamicExponentCodebook(bits, true);
      break;
    case 'de-unsigned':
      values = bits === 4 ? DE4_UNSIGNED.slice() : dynamicExponentCodebook(bits, false);
      break;
    case 'de0':
      values = bits === 4 ? DE0_4.slice() : dynamicExponentCodebook(bits, false);
      values[0] = values[1]; // the unsigned table starts 0, smallest nonzero, ...
      break;
    case 'linear-zero':
      values = linspace32(0, 1, n);
      break;
    case 'linear-nozero':
      values = linspace32(0, 1, n + 1).subarray(1).slice();
      break;
    case 'linear-signed':
      values = linspace32(-1, 1, n);
      break;
    default:
      throw new RangeError(`unknown codebook kind '${String(kind)}'`);
  }
  return { kind, bits, values };
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Order-preserving integer key of a float32 value (-0 and +0 share key 0). */
function floatKey(x: number): number {
  f32[0] = x;
  const b = i32[0];
  return b >= 0 ? b : -(b & 0x7fffffff);
}

function keyFloat(k: number): number {
  i32[0] = k >= 0 ? k : -k | 0x80000000;
  return f32[0];
}

/**
 * The smallest float32 x in (lo, hi] that PyTorch's `argmin(|x - T|)` sends to `hi` rather than `lo`:
 * float32 distances |fround(x - lo)| vs |fround(hi - x)|, a tie going to the lower entry. Both distances
 * are monotone in x, so the decision flips exactly once; found by bisection over float32 bit patterns.
 */
function decisionThreshold(lo: number, hi: number): number {
  let a = floatKey(lo); // loses
  let b = floatKey(hi); // wins
  while (b - a > 1) {
    const mid = a + Math.floor((b - a) / 2);
    const x = keyFloat(mid);
    if (Math.abs(Math.fround(x - lo)) > Math.abs(Math.fround(hi - x))) b = mid;
    else a = mid;
  }
  return keyFloat(b);
}

/**
 * Nearest-entry lookup over a sorted float32 codebook, equal to PyTorch's `argmin(abs(x - T))` on
 * float32 tensors for float32 x: distances are float32-rounded, and a tie goes to the lower index
 * (argmin returns the first minimum; a duplicated entry resolves to its first copy).
 *
 * How: between each pair of neighbouring distinct entries the exact float32 decision point is
 * precomputed, so a lookup only counts the decision points <= x. (Taking only the two neighbours
 * into account is exact unless two consecutive gaps of the codebook differ by a factor near 2^23,
 * which no codebook here comes close to.) A uniform grid over [T_0, T_last] gives the count below
 * x's cell, and one comparison finishes (a cell holding several decision points, as near 0 in 8-bit
 * DE tables, walks instead). NaN maps to index 0 and +Infinity to the last entry
 * (argmin would say 0, all distances being infinite; callers keep non-finite values apart anyway).
 */
export class NearestLookup {
  /** the codebook, as given */
  readonly values: Float32Array;
  /** distinct entries, ascending, and for each the index of its first copy in `values` */
  readonly slotValue: Float32Array;
  readonly slotIndex: Int32Array;
  // The grid is public so that hot loops can copy it into locals and inline `slot` (see quantError.ts).
  /** decision points: slot j+1 wins from threshold[j] on; padded with NaN (never reached) */
  readonly threshold: Float64Array;
  /**
   * grid: cell = clamp(floor((x - lo) * invWidth), 0, cells - 1), as [lo, invWidth, cells - 1]. A typed
   * array rather than number fields: a field that is a small integer for one codebook and a fraction
   * for another changes the object's shape, and V8 then throws away the optimized hot loops.
   */
  readonly grid: Float64Array;
  /** per cell: decision points below it, or -1 - that count for a dense cell (use `slot`) */
  readonly start: Int32Array;

  constructor(values: Float32Array, cells = 4096) {
    if (values.length < 2) throw new RangeError(`a codebook needs at least 2 entries, got ${values.length}`);
    const slotValue: number[] = [];
    const slotIndex: number[] = [];
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) throw new RangeError(`codebook entry ${k} is not finite (${values[k]})`);
      if (k > 0 && values[k] < values[k - 1]) throw new RangeError(`codebook is not sorted ascending at entry ${k}`);
      if (k === 0 || values[k] !== values[k - 1]) {
        slotValue.push(values[k]);
        slotIndex.push(k);
      }
    }
    this.values = values;
    this.slotValue = Float32Array.from(slotValue);
    this.slotIndex = Int32Array.from(slotIndex);
    const slots = slotValue.length;
    this.threshold = new Float64Array(slots).fill(NaN); // NaN: no x compares >= it, not even +Infinity
    for (let j = 0; j + 1 < slots; j++) this.threshold[j] = decisionThreshold(this.slotValue[j], this.slotValue[j + 1]);
    const lo = this.slotValue[0];
    const span = this.slotValue[slots - 1] - lo;
    const count = span > 0 ? cells : 1;
    this.grid = Float64Array.of(lo, span > 0 ? count / span : 0, count - 1);
    // Per cell: the count of decision points below it, or -1 - count for a "dense" cell that holds
    // two or more of them (a lookup there walks; elsewhere it is one comparison). Cells are widened
    // by a hair so that float rounding of the cell index can never skip a decision point.
    this.start = new Int32Array(count);
    const hair = span * 1e-9;
    let below = 0;
    for (let c = 0; c < count; c++) {
      const from = lo + (c * span) / count - hair;
      const to = lo + ((c + 1) * span) / count + hair;
      while (this.threshold[below] < from) below++;
      let inside = 0;
      while (this.threshold[below + inside] <= to) inside++;
      this.start[c] = inside <= 1 ? below : -1 - below;
    }
  }

  /** Slot (index into slotValue) of the entry nearest to the float32 value x. */
  slot(x: number): number {
    // Math.min/max and no loop on the common path: measurably faster in V8's hot loops.
    const g = this.grid;
    const c = Math.max(0, Math.min(g[2], (x - g[0]) * g[1])) | 0;
    const th = this.threshold;
    const j = this.start[c];
    if (j >= 0) return x >= th[j] ? j + 1 : j;
    return x !== x ? 0 : this.walk(-1 - j, x);
  }

  /** Exact slot from any starting guess (dense cells, NaN-free x). */
  private walk(j: number, x: number): number {
    const th = this.threshold;
    while (x >= th[j]) j++;
    while (j > 0 && x < th[j - 1]) j--;
    return j;
  }

  /** Index into `values` of the entry nearest to x (the first copy of a duplicated entry). */
  index(x: number): number {
    return this.slotIndex[this.slot(x)];
  }

  /** The entry nearest to x. */
  nearest(x: number): number {
    return this.slotValue[this.slot(x)];
  }
}
