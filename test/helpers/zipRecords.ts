// Zip records built by hand from the APPNOTE layout, independently of the writer under test, for
// archives our writer never makes (deflated entries, offsets past 4 GiB, wrong sizes).

/** Fields as they are stored: pass 0xffffffff for a size or offset that a ZIP64 extra carries instead. */
export interface RecordFields {
  /** Version needed to extract: 20, or 45 with ZIP64 fields. */
  version: number;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  extra?: Uint8Array;
}

export function localRecord(name: Uint8Array, f: RecordFields): Uint8Array {
  const extra = f.extra ?? new Uint8Array(0);
  const b = new Uint8Array(30 + name.length + extra.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, f.version, true);
  v.setUint16(8, f.method, true);
  v.setUint32(14, f.crc, true);
  v.setUint32(18, f.compressedSize, true);
  v.setUint32(22, f.size, true);
  v.setUint16(26, name.length, true);
  v.setUint16(28, extra.length, true);
  b.set(name, 30);
  b.set(extra, 30 + name.length);
  return b;
}

/** A central directory header (made by MS-DOS, version 0) pointing at the local header at `localHeaderOffset`. */
export function centralRecord(name: Uint8Array, f: RecordFields & { localHeaderOffset: number }): Uint8Array {
  const extra = f.extra ?? new Uint8Array(0);
  const b = new Uint8Array(46 + name.length + extra.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(6, f.version, true);
  v.setUint16(10, f.method, true);
  v.setUint32(16, f.crc, true);
  v.setUint32(20, f.compressedSize, true);
  v.setUint32(24, f.size, true);
  v.setUint16(28, name.length, true);
  v.setUint16(30, extra.length, true);
  v.setUint32(42, f.localHeaderOffset, true);
  b.set(name, 46);
  b.set(extra, 46 + name.length);
  return b;
}

/** The ZIP64 extended-information extra field (id 1) holding `values` as 8-byte integers. */
export function zip64Extra(...values: number[]): Uint8Array {
  const b = new Uint8Array(4 + 8 * values.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, 1, true);
  v.setUint16(2, 8 * values.length, true);
  values.forEach((x, i) => v.setBigUint64(4 + 8 * i, BigInt(x), true));
  return b;
}

/** The end-of-central-directory record of a single-disk archive. */
export function endRecord(count: number, cdSize: number, cdOffset: number): Uint8Array {
  const b = new Uint8Array(22);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, count, true);
  v.setUint16(10, count, true);
  v.setUint32(12, cdSize, true);
  v.setUint32(16, cdOffset, true);
  return b;
}
