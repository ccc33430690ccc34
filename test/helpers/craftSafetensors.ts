// Building safetensors bytes by hand (valid or deliberately broken) for tests.

export interface CraftOptions {
  /** Declared header length, when it should differ from the real one. */
  headerLength?: bigint;
  /** Pad the header JSON with spaces to a multiple of 8 (default true). */
  pad?: boolean;
}

/** 8-byte LE length + header (an object is JSON-encoded, a string or bytes used as is) + data. */
export function craftSafetensors(header: unknown, data: Uint8Array | number = 0, opts: CraftOptions = {}): Uint8Array {
  let json = header instanceof Uint8Array ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  if (opts.pad ?? true) {
    const padded = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.byteLength + body.byteLength);
  new DataView(out.buffer).setBigUint64(0, opts.headerLength ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(body, 8 + json.byteLength);
  return out;
}
