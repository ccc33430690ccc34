// Several byte streams in one section payload: a u32 count, a u32 length per stream, then the streams.
// Unframing checks every length against the payload, so a corrupt section cannot make it over-read.

export function frame(parts: readonly Uint8Array[]): Uint8Array {
  const total = 4 + 4 * parts.length + parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, parts.length, true);
  let at = 4 + 4 * parts.length;
  parts.forEach((p, i) => {
    view.setUint32(4 + 4 * i, p.byteLength, true);
    out.set(p, at);
    at += p.byteLength;
  });
  return out;
}

export function unframe(bytes: Uint8Array, expected: number): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) throw new Error('truncated payload: no stream count');
  const count = view.getUint32(0, true);
  if (count !== expected) throw new Error(`payload holds ${count} streams, expected ${expected}`);
  let at = 4 + 4 * count;
  if (at > bytes.byteLength) throw new Error('truncated payload: stream table cut short');
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const len = view.getUint32(4 + 4 * i, true);
    if (at + len > bytes.byteLength) throw new Error(`stream ${i} (${len} bytes at ${at}) runs past the payload (${bytes.byteLength} bytes)`);
    parts.push(bytes.subarray(at, at + len));
    at += len;
  }
  if (at !== bytes.byteLength) throw new Error(`${bytes.byteLength - at} stray bytes after the last stream`);
  return parts;
}

/** Float32 values as little-endian bytes (a copy), and back with a length check. */
export function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.slice().buffer);
}

export function bytesF32(bytes: Uint8Array, expected?: number): Float32Array {
  if (bytes.byteLength % 4 !== 0 || (expected !== undefined && bytes.byteLength !== 4 * expected)) {
    throw new Error(`float32 stream has ${bytes.byteLength} bytes${expected !== undefined ? `, expected ${4 * expected}` : ''}`);
  }
  return new Float32Array(bytes.slice().buffer);
}
