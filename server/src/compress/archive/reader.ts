// Opening a .ckpz archive lazily: the preamble (archive header), the trailer at the very end and
// the index before it; nothing else is read until a section is asked for. Every length and offset
// is checked against the file before anything is allocated, so a hostile file gives an ArchiveError.
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ArchiveError, ArchiveIncompleteError, describeEntry } from './errors.ts';
import { BLOCK_BYTES, readExact } from './fileIo.ts';
import {
  CRC_BYTES,
  decodePreambleFixed,
  decodeTrailer,
  FILE_MAGIC,
  FORMAT_MAJOR,
  LIMITS,
  MIN_ARCHIVE_BYTES,
  PREAMBLE_FIXED,
  TRAILER_BYTES,
  type Trailer,
} from './format.ts';
import { isPlainObject, parseIndex, parseJsonBytes, type ArchiveIndex } from './indexJson.ts';
import { layoutRegions, type Region } from './regions.ts';
import type { ArchiveHeader, EntryHeader, EntryInfo, ProgressCallback, SectionInfo } from './types.ts';
import { verifyArchive, type VerifyReport } from './verify.ts';

/** Where the pieces of the archive are; what verify and append need beyond the public view. */
export interface ArchiveStructure {
  preambleEnd: number;
  headerCrc: number;
  trailer: Trailer;
  trailerOffset: number;
  index: ArchiveIndex;
  regions: Region[];
}

export class ArchiveReader {
  private readonly lookup = new Map<number, Map<string, SectionInfo>>();

  constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    /** the archive's length: the file's size, or less when recovery looks at an earlier state */
    readonly size: number,
    readonly version: { major: number; minor: number },
    readonly header: ArchiveHeader,
    readonly structure: ArchiveStructure,
  ) {}

  /** Entries in writing order. */
  get entries(): readonly EntryInfo[] {
    return this.structure.index.entries;
  }

  /** 1 for the archive as created, one more per append. */
  get sequence(): number {
    return this.structure.trailer.sequence;
  }

  /** The entry of a training step. */
  entry(step: number | null): EntryInfo | undefined {
    return this.entries.find((e) => e.step === step);
  }

  section(entry: EntryInfo, kind: string, name: string): SectionInfo | undefined {
    let byKey = this.lookup.get(entry.index);
    if (!byKey) {
      byKey = new Map(entry.sections.map((s) => [`${s.kind}\u0000${s.name}`, s]));
      this.lookup.set(entry.index, byKey);
    }
    return byKey.get(`${kind}\u0000${name}`);
  }

  /** A section's payload in one buffer, checksum verified. */
  async readSection(s: SectionInfo): Promise<Uint8Array> {
    if (s.length > LIMITS.sectionRead) throw new ArchiveError(`${s.length} bytes are too many for one buffer; read it with sectionChunks`, this.file, { offset: s.offset, section: s });
    const bytes = await readExact(this.fh, this.file, s.offset, s.length, s);
    if (crc32(bytes) !== s.crc) throw checksumError(this.file, s);
    return bytes;
  }

  /**
   * A section's payload in chunks (memory bounded by `chunkBytes`). The checksum is known only at
   * the end: the last pull throws on a mismatch, so trust the data once the loop completes.
   */
  async *sectionChunks(s: SectionInfo, chunkBytes = BLOCK_BYTES): AsyncGenerator<Uint8Array> {
    if (!(chunkBytes >= 1)) throw new RangeError(`chunk size must be at least 1 byte, not ${chunkBytes}`);
    chunkBytes = Math.floor(chunkBytes);
    let crc = 0;
    for (let done = 0; done < s.length; ) {
      const n = Math.min(chunkBytes, s.length - done);
      const chunk = await readExact(this.fh, this.file, s.offset + done, n, s);
      crc = crc32(chunk, crc);
      done += n;
      if (done === s.length && crc !== s.crc) throw checksumError(this.file, s);
      yield chunk;
    }
    if (s.length === 0 && s.crc !== 0) throw checksumError(this.file, s);
  }

  /** The header the writer was given for this entry (its JSON; `Layout` is the caller's to check). */
  async readEntryHeader<Layout = unknown>(entry: EntryInfo): Promise<EntryHeader<Layout>> {
    const s = entry.header;
    if (s.length > LIMITS.entryHeaderJson) throw new ArchiveError(`entry header of ${s.length} bytes exceeds the ${LIMITS.entryHeaderJson}-byte limit`, this.file, { offset: s.offset, section: s });
    const json = parseJsonBytes(await this.readSection(s), this.file, s.offset, `header of ${describeEntry(entry.index, entry.step)}`);
    if (!isPlainObject(json) || json.step !== entry.step || json.mode !== entry.mode) {
      throw new ArchiveError('entry header does not match the index (step or mode differ)', this.file, { offset: s.offset, section: s });
    }
    return json as unknown as EntryHeader<Layout>;
  }

  /** Reads every byte once, checking every checksum, the byte map and the whole-file CRC. */
  verify(opts: { onProgress?: ProgressCallback; signal?: AbortSignal } = {}): Promise<VerifyReport> {
    return verifyArchive(this.fh, this.file, this.structure, opts);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export function checksumError(file: string, s: SectionInfo): ArchiveError {
  return new ArchiveError('checksum mismatch', file, { offset: s.offset, section: s });
}

export async function openArchive(path: string): Promise<ArchiveReader> {
  const fh = await open(path, 'r');
  try {
    return await loadArchive(fh, path, (await fh.stat()).size);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** The archive as if the file ended at `end` (recovery tries the states that earlier trailers closed). */
export async function openArchiveEndingAt(path: string, end: number): Promise<ArchiveReader> {
  const fh = await open(path, 'r');
  try {
    return await loadArchive(fh, path, end);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function loadArchive(fh: FileHandle, file: string, size: number): Promise<ArchiveReader> {
  const fixed = await readExact(fh, file, 0, Math.min(PREAMBLE_FIXED, size));
  const pre = fixed.byteLength === PREAMBLE_FIXED ? decodePreambleFixed(fixed) : undefined;
  if (!pre?.magicOk) {
    if (pre === undefined && size > 0 && isPrefixOfMagic(fixed)) throw new ArchiveError(`truncated: ${size} bytes are too few for a .ckpz archive`, file, { offset: size });
    throw new ArchiveError('not a .ckpz archive (no CKPZ magic at the start)', file, { offset: 0 });
  }
  if (pre.major !== FORMAT_MAJOR) throw new ArchiveError(`format version ${pre.major}.${pre.minor} is not readable by this version (${FORMAT_MAJOR}.x)`, file, { offset: 8 });
  if (size < MIN_ARCHIVE_BYTES) throw new ArchiveError(`truncated: ${size} bytes are too few for a .ckpz archive`, file, { offset: size });
  const preambleEnd = PREAMBLE_FIXED + pre.headerLength + CRC_BYTES;
  if (pre.headerLength > LIMITS.headerJson || preambleEnd + TRAILER_BYTES > size) {
    throw new ArchiveError(`archive header length ${pre.headerLength} runs past the end of the ${size}-byte file`, file, { offset: 12 });
  }
  const rest = await readExact(fh, file, PREAMBLE_FIXED, pre.headerLength + CRC_BYTES);
  const headerJson = rest.subarray(0, pre.headerLength);
  const headerCrc = new DataView(rest.buffer, rest.byteOffset + pre.headerLength, 4).getUint32(0, true);
  if (crc32(headerJson, crc32(fixed)) !== headerCrc) throw new ArchiveError('archive header checksum mismatch', file, { offset: PREAMBLE_FIXED });
  const header = parseJsonBytes(headerJson, file, PREAMBLE_FIXED, 'archive header');
  if (!isPlainObject(header) || typeof header.creator !== 'string') throw new ArchiveError('archive header has no creator', file, { offset: PREAMBLE_FIXED });

  const trailerOffset = size - TRAILER_BYTES;
  const trailer = decodeTrailer(await readExact(fh, file, trailerOffset, TRAILER_BYTES));
  if ('problem' in trailer) throw new ArchiveIncompleteError(trailer.problem, file, trailerOffset);
  const { indexOffset, indexLength } = trailer;
  if (indexOffset < preambleEnd || indexOffset + indexLength !== trailerOffset || indexLength > LIMITS.indexJson) {
    throw new ArchiveError(`trailer puts the index at ${indexOffset} (+${indexLength}), not just before the trailer at ${trailerOffset}`, file, { offset: trailerOffset });
  }
  const indexBytes = await readExact(fh, file, indexOffset, indexLength);
  if (crc32(indexBytes) !== trailer.indexCrc) throw new ArchiveError('index checksum mismatch', file, { offset: indexOffset });
  const index = parseIndex(indexBytes, file, indexOffset);
  const last = index.superseded.at(-1);
  if (index.sequence !== trailer.sequence || index.headerCrc !== headerCrc || (last?.trailer ?? 0) !== trailer.previousTrailer || index.superseded.length !== trailer.sequence - 1) {
    throw new ArchiveError('index and trailer disagree (sequence, header CRC or previous trailer)', file, { offset: indexOffset });
  }
  const regions = layoutRegions(index, preambleEnd, indexOffset, trailerOffset, file);
  return new ArchiveReader(file, fh, size, { major: pre.major, minor: pre.minor }, header as unknown as ArchiveHeader, {
    preambleEnd,
    headerCrc,
    trailer,
    trailerOffset,
    index,
    regions,
  });
}

/** A file shorter than the fixed preamble that starts like an archive: truncated rather than foreign. */
function isPrefixOfMagic(bytes: Uint8Array): boolean {
  return bytes.subarray(0, FILE_MAGIC.byteLength).every((b, i) => b === FILE_MAGIC[i]);
}
