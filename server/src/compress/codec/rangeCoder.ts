// Adaptive binary arithmetic (range) coder, LZMA-style carry handling, with two-rate probabilities.
//
// Each binary context holds two 16-bit estimates of P(bit = 0) and the coder uses their mean: a fast
// one (rate 1/16) and a slow one whose rate starts at 1/1.5 and falls as 1/(count + 1.5) to 1/256, so
// it learns a fresh context from its first few bits (most tensors are small) and then converges to
// the stationary rate. Measured on the fixtures' ExCP code streams (per-tensor models, step 200 vs
// 100, ideal code lengths): weight codes 71.7 KB, first-moment codes 16.8 KB, second-moment codes
// 6.1 KB, against 72.1 / 17.7 / 6.2 KB for one LZMA-style estimate (rate 1/32) and 71.9 / 17.3 /
// 6.2 KB for two fixed rates (1/16 and 1/128).
//
// Stream layout: the bytes of `low` as LZMA writes them, minus LZMA's always-zero first byte.
// The decoder must end having read exactly every byte with code == 0 (the encoder flushes `low`
// exactly), which catches truncation always and corruption with high probability; reading past the
// end raises instead of inventing bytes, so a bad stream can never make a caller loop or overrun.

/** Probabilities are 16-bit fixed point: P(bit = 0) = p / 65536. */
const PROB_ONE = 1 << 16;
const PROB_HALF = 1 << 15;
const FAST_SHIFT = 4;
/** The slow estimate moves toward these (not 0 / 1), so that with floor rounding it stays inside. */
const SLOW_TARGET_0 = PROB_ONE - 32;
const SLOW_TARGET_1 = 32;
/** Reciprocal rates, 15-bit fixed point: SLOW_RATE[k] = 1 / (k + 1.5) after k updates, to 1/256. */
const SLOW_COUNT_LIMIT = 254;
const SLOW_RATE = Int32Array.from({ length: SLOW_COUNT_LIMIT + 1 }, (_, k) => Math.round(32768 / (k + 1.5)));
/** Below this the range is renormalised (one byte out / in). */
const TOP = 1 << 24;

/** Binary contexts, 4 Uint16 per context c: fast estimate (4c), slow estimate (4c+1), update count (4c+2). */
export type BitModels = Uint16Array;

export function newBitModels(contexts: number): BitModels {
  const models = new Uint16Array(4 * contexts);
  for (let i = 0; i < models.length; i += 4) {
    models[i] = PROB_HALF;
    models[i + 1] = PROB_HALF;
  }
  return models;
}

/** P(bit = 0) of context i (the index 4c), in (0, 65536) exclusive: 23 .. 65512. */
function probability(models: BitModels, i: number): number {
  return (models[i] + models[i + 1]) >>> 1;
}

function adapt(models: BitModels, i: number, bit: number): void {
  const fast = models[i];
  const slow = models[i + 1];
  const count = models[i + 2];
  const rate = SLOW_RATE[count];
  if (bit === 0) {
    models[i] = fast + ((PROB_ONE - fast) >> FAST_SHIFT);
    models[i + 1] = slow + (((SLOW_TARGET_0 - slow) * rate) >> 15);
  } else {
    models[i] = fast - (fast >> FAST_SHIFT);
    models[i + 1] = slow + (((SLOW_TARGET_1 - slow) * rate) >> 15);
  }
  if (count < SLOW_COUNT_LIMIT) models[i + 2] = count + 1;
}

export class RangeEncoder {
  private buf: Uint8Array;
  private pos = 0;
  /** up to 33 bits: a carry out of bit 31 propagates into the pending bytes */
  private low = 0;
  private range = 0xffffffff;
  /** the pending byte that a carry may still increment, and how many 0xFF bytes follow it */
  private cache = 0;
  private pending = 1;
  private first = true;

  constructor(capacityHint = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacityHint));
  }

  /** Codes `bit` (0 or 1) in context `c` of `models`, then adapts the context. */
  encodeBit(models: BitModels, c: number, bit: number): void {
    const i = c << 2;
    const bound = (this.range >>> 16) * probability(models, i);
    if (bit === 0) this.range = bound;
    else {
      this.low += bound;
      this.range -= bound;
    }
    adapt(models, i, bit);
    while (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.shiftLow();
    }
  }

  /** Codes the low `count` bits of `value` (count <= 24) with probability 1/2 each, high bit first. */
  encodeDirect(value: number, count: number): void {
    for (let k = count - 1; k >= 0; k--) {
      this.range >>>= 1;
      if ((value >>> k) & 1) this.low += this.range;
      while (this.range < TOP) {
        this.range = (this.range << 8) >>> 0;
        this.shiftLow();
      }
    }
  }

  /** Flushes and returns the coded bytes (a view of the internal buffer). */
  finish(): Uint8Array {
    for (let k = 0; k < 5; k++) this.shiftLow();
    return this.buf.subarray(0, this.pos);
  }

  private shiftLow(): void {
    const low = this.low;
    if (low < 0xff000000 || low >= 0x100000000) {
      const carry = low >= 0x100000000 ? 1 : 0;
      let byte = this.cache;
      do {
        this.put((byte + carry) & 0xff);
        byte = 0xff;
      } while (--this.pending !== 0);
      this.cache = (low >>> 24) & 0xff;
    }
    this.pending++;
    this.low = (low & 0x00ffffff) * 256;
  }

  private put(byte: number): void {
    // LZMA's first byte is always 0 (low starts at 0 and cannot carry into it): not written.
    if (this.first) {
      this.first = false;
      return;
    }
    if (this.pos === this.buf.length) {
      const grown = new Uint8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.pos++] = byte;
  }
}

export class RangeDecoder {
  private readonly bytes: Uint8Array;
  private pos = 0;
  private range = 0xffffffff;
  private code = 0;

  /** `what` names the stream in errors (e.g. "codes of model.layers.0.mlp.up_proj.weight"). */
  constructor(bytes: Uint8Array, private readonly what = 'range-coded stream') {
    this.bytes = bytes;
    for (let k = 0; k < 4; k++) this.code = ((this.code << 8) | this.next()) >>> 0;
  }

  decodeBit(models: BitModels, c: number): number {
    const i = c << 2;
    const bound = (this.range >>> 16) * probability(models, i);
    let bit = 0;
    if (this.code < bound) this.range = bound;
    else {
      this.code -= bound;
      this.range -= bound;
      bit = 1;
    }
    adapt(models, i, bit);
    while (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.next()) >>> 0;
    }
    return bit;
  }

  decodeDirect(count: number): number {
    let value = 0;
    for (let k = 0; k < count; k++) {
      this.range >>>= 1;
      let bit = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        bit = 1;
      }
      value = (value << 1) | bit;
      while (this.range < TOP) {
        this.range = (this.range << 8) >>> 0;
        this.code = ((this.code << 8) | this.next()) >>> 0;
      }
    }
    return value >>> 0;
  }

  /** Checks that the stream ended exactly where the encoder flushed it. */
  finish(): void {
    if (this.pos !== this.bytes.length) {
      throw new Error(`${this.what}: corrupt: ${this.bytes.length - this.pos} byte(s) left over after the last symbol (byte offset ${this.pos})`);
    }
    if (this.code !== 0) throw new Error(`${this.what}: corrupt: the decoder did not end in the state the encoder flushed (byte offset ${this.pos})`);
  }

  private next(): number {
    if (this.pos >= this.bytes.length) {
      throw new Error(`${this.what}: truncated: needed byte offset ${this.pos} of a ${this.bytes.length}-byte stream`);
    }
    return this.bytes[this.pos++];
  }
}
