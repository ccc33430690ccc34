// The small self-describing headers of codec streams: a kind byte, then per-kind fields (method ids,
// varint lengths). Readers are bounds-checked and name the stream and byte offset in their errors.

/** First byte of every stream, so a stream handed to the wrong decoder is refused. */
export const STREAM_KIND = { codes: 0xc1, floatPlanes: 0xc2, bytes: 0xc3 } as const;
export type StreamKind = keyof typeof STREAM_KIND;

/** What decoders of self-describing streams accept besides the stream. */
export interface DecodeOptions {
  /** names the stream in errors (e.g. "section t/lossless of model.embed_tokens.weight") */
  what?: string;
  /**
   * The decoded size in bytes the caller expects (from its own records): checked against the
   * header before anything is allocated, so a corrupt length cannot make the decoder allocate GBs.
   */
  expectedBytes?: number;
}

/** Refuses a decoded length that differs from the caller's expectation or exceeds what we support. */
export function checkDecodedLength(r: ByteReader, bytes: number, expected: number | undefined): void {
  if (expected !== undefined && bytes !== expected) throw r.error(`holds ${bytes} bytes, ${expected} expected`);
  if (bytes > MAX_DECODED_BYTES) throw r.error(`corrupt: ${bytes} bytes exceed the largest supported payload`);
}

/** the largest typed array V8 allocates */
const MAX_DECODED_BYTES = 2 ** 32;

export class ByteWriter {
  private buf = new Uint8Array(64);
  private pos = 0;

  u8(value: number): this {
    this.reserve(1);
    this.buf[this.pos++] = value;
    return this;
  }

  /** Unsigned LEB128, up to 2^53 - 1. */
  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint needs a safe non-negative integer, got ${value}`);
    this.reserve(8);
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.pos++] = value;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private reserve(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }
}

export class ByteReader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly what: string) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  u8(field: string): number {
    if (this.pos >= this.buf.length) throw this.error(`truncated: no byte for ${field}`);
    return this.buf[this.pos++];
  }

  varint(field: string): number {
    let value = 0;
    let scale = 1;
    for (let k = 0; k < 8; k++) {
      const b = this.u8(field);
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
    }
    throw this.error(`corrupt: ${field} is not a valid length`);
  }

  /** A view of the next `length` bytes. */
  bytes(length: number, field: string): Uint8Array {
    if (length > this.remaining) throw this.error(`truncated: ${field} needs ${length} bytes, ${this.remaining} left`);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** Refuses a stream of another kind (or none). */
  kind(expected: StreamKind): void {
    const offset = this.pos;
    const got = this.u8('the stream kind');
    if (got !== STREAM_KIND[expected]) {
      const name = (Object.keys(STREAM_KIND) as StreamKind[]).find((k) => STREAM_KIND[k] === got);
      this.pos = offset;
      throw this.error(name ? `this is a ${name} stream, not a ${expected} stream` : `not a codec stream (kind byte 0x${got.toString(16)})`);
    }
  }

  /** Checks that nothing follows the last field. */
  end(): void {
    if (this.remaining !== 0) throw this.error(`corrupt: ${this.remaining} unexpected byte(s) after the end`);
  }

  error(message: string): Error {
    return new Error(`${this.what}: ${message} (byte offset ${this.pos})`);
  }
}
