// Reads a zip archive's directory without reading its contents: the end records, the central
// directory and each local header (to find where an entry's data starts), all by byte range, so a
// many-GB torch checkpoint opens with a few KB of reads. ZIP64 is supported (torch writes it).
// Entry data is read on demand: stored entries by offset, deflated ones (small) inflated whole.
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { FormatError } from '../types.ts';
import {
  CENTRAL_HEADER_SIZE, END_SIZE, EXTRA_ZIP64, FLAG_ENCRYPTED, LOCAL_HEADER_SIZE, MAX_END_SEARCH, METHOD_DEFLATED,
  METHOD_STORED, SIG, U16_MAX, U32_MAX, ZIP64_END_SIZE, ZIP64_LOCATOR_SIZE, u64,
} from './zipFormat.ts';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** Absolute offset of the entry's (possibly compressed) data, after its local header. */
  dataOffset: number;
}

/** Central directories above this are refused (a million entries take about 100 MB). */
export const MAX_CENTRAL_DIRECTORY_BYTES = 1 << 30;
/** Default cap on an entry read whole into memory (pickles, small records). */
export const DEFAULT_MAX_ENTRY_BYTES = 256 << 20;

const utf8 = new TextDecoder('utf-8');

export class ZipArchive {
  private readonly byName: Map<string, ZipEntry>;

  constructor(
    /** Absolute path. */
    readonly file: string,
    readonly fileSize: number,
    readonly entries: readonly ZipEntry[],
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** The whole (decompressed) content of an entry, CRC-checked. For small entries: refuses more than `maxBytes`. */
  async read(entry: ZipEntry, maxBytes = DEFAULT_MAX_ENTRY_BYTES): Promise<Uint8Array> {
    const fail = (msg: string) => new FormatError(`zip entry '${entry.name}': ${msg}`, this.file, { offset: entry.dataOffset });
    if (entry.flags & FLAG_ENCRYPTED) throw fail('is encrypted');
    if (entry.size > maxBytes) throw fail(`is ${entry.size} bytes, more than the ${maxBytes} allowed to read whole`);
    if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) throw fail(`unsupported compression method ${entry.method}`);
    if (entry.compressedSize > maxBytes) throw fail(`compressed size ${entry.compressedSize} is more than the ${maxBytes} allowed`);
    const raw = await withFile(this.file, (fh) => readExactly(fh, this.file, entry.dataOffset, entry.compressedSize));
    let data = raw;
    if (entry.method === METHOD_DEFLATED) {
      try {
        const inflated = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
        data = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length);
      } catch (e) {
        throw fail(`cannot inflate: ${(e as Error).message}`);
      }
    }
    if (data.length !== entry.size) throw fail(`holds ${data.length} bytes but the directory says ${entry.size}`);
    // PyTorch can skip checksums and then writes 0: only a nonzero CRC is checked.
    if (entry.crc32 !== 0 && crc32(data) >>> 0 !== entry.crc32) throw fail('CRC-32 mismatch (corrupt data)');
    return data;
  }
}

/** Opens a zip archive and lists its entries (reads only the directory records). */
export async function openZip(path: string): Promise<ZipArchive> {
  const file = resolve(path);
  return withFile(file, async (fh) => {
    const { size } = await fh.stat();
    const end = await readEndRecords(fh, file, size);
    const entries = await readCentralDirectory(fh, file, end);
    const headers = new ReadWindow(fh, file, size);
    // In file order, so that neighbouring small records share one read.
    for (const entry of [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)) await locateData(headers, file, entry, end.cdOffset);
    return new ZipArchive(file, size, entries);
  });
}

interface EndRecords {
  entries: number;
  cdOffset: number;
  cdSize: number;
}

async function readEndRecords(fh: FileHandle, file: string, size: number): Promise<EndRecords> {
  if (size < END_SIZE) throw new FormatError(`not a zip archive: ${size} bytes is too small for an end-of-central-directory record`, file, { offset: 0 });
  const tailStart = Math.max(0, size - MAX_END_SEARCH);
  const tail = await readExactly(fh, file, tailStart, size - tailStart);
  const view = viewOf(tail);
  let at = -1;
  for (let i = tail.length - END_SIZE; i >= 0; i--) {
    if (view.getUint32(i, true) === SIG.END && i + END_SIZE + view.getUint16(i + 20, true) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new FormatError('not a zip archive: no end-of-central-directory record', file, { offset: size });
  const endOffset = tailStart + at;
  const disk = view.getUint16(at + 4, true);
  const cdDisk = view.getUint16(at + 6, true);
  let entries = view.getUint16(at + 10, true);
  let cdSize = view.getUint32(at + 12, true);
  let cdOffset = view.getUint32(at + 16, true);
  let directoryEnd = endOffset;

  // A ZIP64 locator sits right before the classic end record when the archive uses ZIP64 records.
  if (endOffset >= ZIP64_LOCATOR_SIZE) {
    const loc = viewOf(await readExactly(fh, file, endOffset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE));
    if (loc.getUint32(0, true) === SIG.ZIP64_LOCATOR) {
      const z64Offset = u64(loc, 8);
      const locOffset = endOffset - ZIP64_LOCATOR_SIZE;
      if (z64Offset === undefined || z64Offset + ZIP64_END_SIZE > locOffset) {
        throw new FormatError(`ZIP64 end record offset ${z64Offset ?? 'beyond 2^53'} is outside the file`, file, { offset: locOffset });
      }
      const z = viewOf(await readExactly(fh, file, z64Offset, ZIP64_END_SIZE));
      if (z.getUint32(0, true) !== SIG.ZIP64_END) throw new FormatError('bad ZIP64 end-of-central-directory signature', file, { offset: z64Offset });
      const n = u64(z, 32);
      const s = u64(z, 40);
      const o = u64(z, 48);
      if (n === undefined || s === undefined || o === undefined) throw new FormatError('ZIP64 end record values beyond 2^53', file, { offset: z64Offset });
      if (z.getUint32(16, true) !== 0 || z.getUint32(20, true) !== 0) throw new FormatError('multi-disk zip archives are not supported', file, { offset: z64Offset });
      [entries, cdSize, cdOffset, directoryEnd] = [n, s, o, z64Offset];
    } else if (entries === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      throw new FormatError('end record needs ZIP64 values but there is no ZIP64 locator', file, { offset: endOffset });
    }
  }
  if (disk !== 0 && disk !== U16_MAX) throw new FormatError('multi-disk zip archives are not supported', file, { offset: endOffset });
  if (cdDisk !== 0 && cdDisk !== U16_MAX) throw new FormatError('multi-disk zip archives are not supported', file, { offset: endOffset });
  if (cdOffset + cdSize > directoryEnd) {
    throw new FormatError(`central directory (${cdSize} bytes at ${cdOffset}) runs past its end record at ${directoryEnd}: truncated or corrupt`, file, { offset: endOffset });
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw new FormatError(`central directory of ${cdSize} bytes is larger than the ${MAX_CENTRAL_DIRECTORY_BYTES} allowed`, file, { offset: cdOffset });
  if (entries * CENTRAL_HEADER_SIZE > cdSize) {
    throw new FormatError(`${entries} entries cannot fit in a central directory of ${cdSize} bytes`, file, { offset: cdOffset });
  }
  return { entries, cdOffset, cdSize };
}

async function readCentralDirectory(fh: FileHandle, file: string, end: EndRecords): Promise<ZipEntry[]> {
  const cd = await readExactly(fh, file, end.cdOffset, end.cdSize);
  const view = viewOf(cd);
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let p = 0;
  for (let i = 0; i < end.entries; i++) {
    const at = end.cdOffset + p;
    if (p + CENTRAL_HEADER_SIZE > cd.length) throw new FormatError(`central directory truncated at entry ${i} of ${end.entries}`, file, { offset: at });
    if (view.getUint32(p, true) !== SIG.CENTRAL) throw new FormatError(`bad central directory signature at entry ${i}`, file, { offset: at });
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const recordEnd = p + CENTRAL_HEADER_SIZE + nameLen + extraLen + commentLen;
    if (recordEnd > cd.length) throw new FormatError(`central directory truncated inside entry ${i}`, file, { offset: at });
    const name = utf8.decode(cd.subarray(p + CENTRAL_HEADER_SIZE, p + CENTRAL_HEADER_SIZE + nameLen));
    const entry: ZipEntry = {
      name,
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      crc32: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localHeaderOffset: view.getUint32(p + 42, true),
      dataOffset: -1,
    };
    const extraStart = p + CENTRAL_HEADER_SIZE + nameLen;
    applyZip64Extra(entry, new DataView(cd.buffer, cd.byteOffset + extraStart, extraLen), file, at);
    if (seen.has(name)) throw new FormatError(`duplicate zip entry '${name}'`, file, { offset: at });
    seen.add(name);
    entries.push(entry);
    p = recordEnd;
  }
  return entries;
}

/** Replaces saturated 32-bit fields with the 64-bit values of the ZIP64 extra field, which holds them in a fixed order. */
function applyZip64Extra(entry: ZipEntry, extra: DataView, file: string, at: number): void {
  const needed: Array<'size' | 'compressedSize' | 'localHeaderOffset'> = [];
  if (entry.size === U32_MAX) needed.push('size');
  if (entry.compressedSize === U32_MAX) needed.push('compressedSize');
  if (entry.localHeaderOffset === U32_MAX) needed.push('localHeaderOffset');
  if (needed.length === 0) return;
  for (let q = 0; q + 4 <= extra.byteLength; ) {
    const id = extra.getUint16(q, true);
    const len = extra.getUint16(q + 2, true);
    if (q + 4 + len > extra.byteLength) break;
    if (id === EXTRA_ZIP64) {
      if (len < needed.length * 8) throw new FormatError(`zip entry '${entry.name}': ZIP64 extra field too short`, file, { offset: at });
      needed.forEach((field, k) => {
        const v = u64(extra, q + 4 + 8 * k);
        if (v === undefined) throw new FormatError(`zip entry '${entry.name}': ${field} beyond 2^53`, file, { offset: at });
        entry[field] = v;
      });
      return;
    }
    q += 4 + len;
  }
  throw new FormatError(`zip entry '${entry.name}': sizes or offset need ZIP64 but there is no ZIP64 extra field`, file, { offset: at });
}

/** Reads an entry's local header to find where its data starts (local extra fields differ from central ones). */
async function locateData(headers: ReadWindow, file: string, entry: ZipEntry, cdOffset: number): Promise<void> {
  const at = entry.localHeaderOffset;
  if (at + LOCAL_HEADER_SIZE > cdOffset) throw new FormatError(`zip entry '${entry.name}': local header offset ${at} is not before the central directory`, file, { offset: at });
  const h = await headers.view(at, LOCAL_HEADER_SIZE);
  if (h.getUint32(0, true) !== SIG.LOCAL) throw new FormatError(`zip entry '${entry.name}': bad local header signature`, file, { offset: at });
  entry.dataOffset = at + LOCAL_HEADER_SIZE + h.getUint16(26, true) + h.getUint16(28, true);
  if (entry.dataOffset + entry.compressedSize > cdOffset) {
    throw new FormatError(`zip entry '${entry.name}': data (${entry.compressedSize} bytes at ${entry.dataOffset}) runs into the central directory`, file, { offset: entry.dataOffset });
  }
}

/** Reads small records through a 64 KiB window, so that closely packed headers cost one read. */
class ReadWindow {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly fh: FileHandle,
    private readonly file: string,
    private readonly fileSize: number,
  ) {}

  async view(offset: number, length: number): Promise<DataView> {
    if (offset < this.start || offset + length > this.start + this.bytes.length) {
      this.start = offset;
      this.bytes = await readExactly(this.fh, this.file, offset, Math.max(length, Math.min(64 << 10, this.fileSize - offset)));
    }
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + offset - this.start, length);
  }
}

async function withFile<T>(file: string, f: (fh: FileHandle) => Promise<T>): Promise<T> {
  const fh = await open(file, 'r');
  try {
    return await f(fh);
  } finally {
    await fh.close();
  }
}

async function readExactly(fh: FileHandle, file: string, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) throw new FormatError(`unexpected end of file (wanted ${length} bytes)`, file, { offset: offset + done });
    done += bytesRead;
  }
  return buf;
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
