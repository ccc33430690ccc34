// A streaming zip writer of stored (uncompressed) entries, as PyTorch writes them: each entry's data
// starts on a 64-byte boundary (padding goes in an "FB" extra field of the local header), CRC-32s
// are computed while streaming, and ZIP64 records appear where sizes or offsets need them.
// `writeZip` writes atomically (temporary file renamed into place), so readers never see a
// half-written archive. Memory holds only the current chunk, the write buffer and the directory.
import { crc32 } from 'node:zlib';
import { writeFileAtomically, type ByteSink } from '../atomicFile.ts';
import {
  CENTRAL_HEADER_SIZE, END_SIZE, EXTRA_PADDING, EXTRA_ZIP64, FLAG_UTF8, LOCAL_HEADER_SIZE, METHOD_STORED, SIG, U16_MAX,
  U32_MAX, ZIP64_END_SIZE, ZIP64_LOCATOR_SIZE,
} from './zipFormat.ts';

export interface ZipWriterOptions {
  /** Each entry's data starts at a multiple of this (PyTorch uses 64). */
  alignment?: number;
  /** 'auto' (default): ZIP64 records only where a size or offset needs them; 'always': on every entry and at the end. */
  zip64?: 'auto' | 'always';
}

/** An entry's bytes: in memory, or a stream of chunks (e.g. read lazily from another file). */
export type ZipSource = Uint8Array | AsyncIterable<Uint8Array>;

export interface ZipEntrySource {
  name: string;
  /** Exact byte count of `data`; checked while streaming. */
  size: number;
  data: ZipSource;
}

interface WrittenEntry {
  name: Uint8Array;
  size: number;
  crc: number;
  localHeaderOffset: number;
  zip64: boolean;
}

const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
const DOS_DATE_1980_01_01 = 0x0021; // a valid DOS date; times are not meaningful for checkpoints
const utf8 = new TextEncoder();

/** Encodes an archive into a sink that starts at file offset 0: `add` each entry, then `finish`. */
export class ZipWriter {
  private readonly written: WrittenEntry[] = [];
  private readonly alignment: number;
  private readonly always64: boolean;
  private finished = false;

  constructor(
    private readonly out: ByteSink,
    options: ZipWriterOptions = {},
  ) {
    this.alignment = options.alignment ?? 64;
    this.always64 = options.zip64 === 'always';
  }

  /** Offset of the next record. */
  private get pos(): number {
    return this.out.position;
  }

  /** Appends one stored entry, streaming its data. */
  async add(entry: ZipEntrySource): Promise<void> {
    if (this.finished) throw new Error('zip writer is already finished');
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new RangeError(`zip entry '${entry.name}': bad size ${entry.size}`);
    const name = utf8.encode(entry.name);
    if (name.length > U16_MAX) throw new RangeError(`zip entry name too long: ${entry.name.slice(0, 80)}...`);
    const zip64 = this.always64 || entry.size >= U32_MAX;
    const localHeaderOffset = this.pos;
    if (entry.data instanceof Uint8Array) {
      // In memory: the CRC is known before the header is written.
      if (entry.data.length !== entry.size) throw new RangeError(`zip entry '${entry.name}': source gave ${entry.data.length} bytes, declared ${entry.size}`);
      const crc = crc32(entry.data) >>> 0;
      await this.out.write(this.localHeader(name, entry.size, zip64, crc));
      await this.out.write(entry.data);
      this.written.push({ name, size: entry.size, crc, localHeaderOffset, zip64 });
      return;
    }
    await this.out.write(this.localHeader(name, entry.size, zip64, 0));
    let crc = 0;
    let done = 0;
    for await (const chunk of entry.data) {
      done += chunk.length;
      if (done > entry.size) throw new RangeError(`zip entry '${entry.name}': source gave more than the declared ${entry.size} bytes`);
      crc = crc32(chunk, crc);
      await this.out.write(chunk);
    }
    if (done !== entry.size) throw new RangeError(`zip entry '${entry.name}': source gave ${done} bytes, declared ${entry.size}`);
    // Streamed: the CRC is known only now. Patch it into the local header (offset 14) rather than
    // adding a data descriptor, so readers that trust local headers see the right value.
    crc >>>= 0;
    const crcBytes = new Uint8Array(4);
    new DataView(crcBytes.buffer).setUint32(0, crc, true);
    await this.out.patch(localHeaderOffset + 14, crcBytes);
    this.written.push({ name, size: entry.size, crc, localHeaderOffset, zip64 });
  }

  /** Writes the central directory and end records. */
  async finish(): Promise<void> {
    if (this.finished) throw new Error('zip writer is already finished');
    this.finished = true;
    const cdOffset = this.pos;
    for (const e of this.written) await this.out.write(this.centralHeader(e));
    const cdSize = this.pos - cdOffset;
    const count = this.written.length;
    const need64 = this.always64 || this.written.some((e) => e.zip64) || count >= U16_MAX || cdOffset >= U32_MAX || cdSize >= U32_MAX;
    if (need64) {
      const z64Offset = this.pos;
      await this.out.write(zip64End(count, cdSize, cdOffset));
      await this.out.write(zip64Locator(z64Offset));
    }
    await this.out.write(endRecord(count, cdSize, cdOffset, this.always64));
  }

  private localHeader(name: Uint8Array, size: number, zip64: boolean, crc: number): Uint8Array {
    const z64Len = zip64 ? 4 + 16 : 0;
    const unpadded = this.pos + LOCAL_HEADER_SIZE + name.length + z64Len + 4;
    const pad = (this.alignment - (unpadded % this.alignment)) % this.alignment;
    const extraLen = z64Len + 4 + pad;
    const b = new Uint8Array(LOCAL_HEADER_SIZE + name.length + extraLen);
    const v = new DataView(b.buffer);
    v.setUint32(0, SIG.LOCAL, true);
    v.setUint16(4, zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, true);
    v.setUint16(6, FLAG_UTF8, true);
    v.setUint16(8, METHOD_STORED, true);
    v.setUint16(10, 0, true);
    v.setUint16(12, DOS_DATE_1980_01_01, true);
    v.setUint32(14, crc, true); // 0 for streamed data: patched afterwards
    v.setUint32(18, zip64 ? U32_MAX : size, true);
    v.setUint32(22, zip64 ? U32_MAX : size, true);
    v.setUint16(26, name.length, true);
    v.setUint16(28, extraLen, true);
    b.set(name, LOCAL_HEADER_SIZE);
    let q = LOCAL_HEADER_SIZE + name.length;
    if (zip64) {
      v.setUint16(q, EXTRA_ZIP64, true);
      v.setUint16(q + 2, 16, true);
      v.setBigUint64(q + 4, BigInt(size), true);
      v.setBigUint64(q + 12, BigInt(size), true);
      q += 20;
    }
    v.setUint16(q, EXTRA_PADDING, true);
    v.setUint16(q + 2, pad, true);
    b.fill(0x5a, q + 4); // 'Z', as PyTorch pads
    return b;
  }

  private centralHeader(e: WrittenEntry): Uint8Array {
    const offset64 = this.always64 || e.localHeaderOffset >= U32_MAX;
    const z64Fields = (e.zip64 ? 2 : 0) + (offset64 ? 1 : 0);
    const extraLen = z64Fields ? 4 + 8 * z64Fields : 0;
    const b = new Uint8Array(CENTRAL_HEADER_SIZE + e.name.length + extraLen);
    const v = new DataView(b.buffer);
    const version = z64Fields ? VERSION_ZIP64 : VERSION_DEFAULT;
    v.setUint32(0, SIG.CENTRAL, true);
    v.setUint16(4, version, true); // made by: MS-DOS attributes (0) + spec version
    v.setUint16(6, version, true);
    v.setUint16(8, FLAG_UTF8, true);
    v.setUint16(10, METHOD_STORED, true);
    v.setUint16(12, 0, true);
    v.setUint16(14, DOS_DATE_1980_01_01, true);
    v.setUint32(16, e.crc, true);
    v.setUint32(20, e.zip64 ? U32_MAX : e.size, true);
    v.setUint32(24, e.zip64 ? U32_MAX : e.size, true);
    v.setUint16(28, e.name.length, true);
    v.setUint16(30, extraLen, true);
    // 32 comment length, 34 disk, 36 internal attributes, 38 external attributes: all 0
    v.setUint32(42, offset64 ? U32_MAX : e.localHeaderOffset, true);
    b.set(e.name, CENTRAL_HEADER_SIZE);
    if (z64Fields) {
      // ZIP64 extra: the saturated fields in the fixed order size, compressed size, local header offset.
      let q = CENTRAL_HEADER_SIZE + e.name.length;
      v.setUint16(q, EXTRA_ZIP64, true);
      v.setUint16(q + 2, 8 * z64Fields, true);
      q += 4;
      if (e.zip64) {
        v.setBigUint64(q, BigInt(e.size), true);
        v.setBigUint64(q + 8, BigInt(e.size), true);
        q += 16;
      }
      if (offset64) v.setBigUint64(q, BigInt(e.localHeaderOffset), true);
    }
    return b;
  }
}

function zip64End(count: number, cdSize: number, cdOffset: number): Uint8Array {
  const b = new Uint8Array(ZIP64_END_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, SIG.ZIP64_END, true);
  v.setBigUint64(4, BigInt(ZIP64_END_SIZE - 12), true); // size of the rest of the record
  v.setUint16(12, VERSION_ZIP64, true);
  v.setUint16(14, VERSION_ZIP64, true);
  // 16 this disk, 20 directory disk: 0
  v.setBigUint64(24, BigInt(count), true);
  v.setBigUint64(32, BigInt(count), true);
  v.setBigUint64(40, BigInt(cdSize), true);
  v.setBigUint64(48, BigInt(cdOffset), true);
  return b;
}

function zip64Locator(z64Offset: number): Uint8Array {
  const b = new Uint8Array(ZIP64_LOCATOR_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, SIG.ZIP64_LOCATOR, true);
  v.setBigUint64(8, BigInt(z64Offset), true);
  v.setUint32(16, 1, true); // total disks
  return b;
}

function endRecord(count: number, cdSize: number, cdOffset: number, saturate: boolean): Uint8Array {
  const b = new Uint8Array(END_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, SIG.END, true);
  const n = saturate || count >= U16_MAX ? U16_MAX : count;
  v.setUint16(8, n, true);
  v.setUint16(10, n, true);
  v.setUint32(12, saturate || cdSize >= U32_MAX ? U32_MAX : cdSize, true);
  v.setUint32(16, saturate || cdOffset >= U32_MAX ? U32_MAX : cdOffset, true);
  return b;
}

/** Writes a whole zip atomically from a sequence of entries; on any failure nothing is left behind. */
export async function writeZip(
  path: string,
  entries: Iterable<ZipEntrySource> | AsyncIterable<ZipEntrySource>,
  options: ZipWriterOptions = {},
): Promise<void> {
  await writeFileAtomically(path, async (out) => {
    const w = new ZipWriter(out, options);
    for await (const entry of entries) await w.add(entry);
    await w.finish();
  });
}
