// Writing a .ckpz archive: createArchive starts a new file (temporary, renamed on close),
// appendToArchive adds entries after the end of an existing one without rewriting it. Both give an
// ArchiveWriter: beginEntry, addSection (bytes or a stream of chunks), endEntry, then close, which
// writes the index and the trailer. Any failure or abort discards everything this writer wrote.
import { crc32 } from 'node:zlib';
import { ArchiveUsageError, describeEntry } from './errors.ts';
import { encodePreamble, encodeSectionHead, encodeSectionTail, encodeTrailer, FORMAT_MINOR, LIMITS, TRAILER_BYTES, type Trailer } from './format.ts';
import { encodeIndex } from './indexJson.ts';
import { appendOutput, atomicOutput, type ArchiveOutput } from './output.ts';
import { openArchive } from './reader.ts';
import { ENTRY_HEADER_KIND, type ArchiveHeader, type EntryHeader, type EntryInfo, type SectionInfo, type SectionMeta, type SupersededState } from './types.ts';

export interface WriteOptions {
  /** aborting discards the write: no new archive, or the appended-to one back as it was */
  signal?: AbortSignal;
}

export interface CloseResult {
  file: string;
  /** the archive's length in bytes */
  size: number;
  entries: number;
  sequence: number;
}

/** What a writer starts from: nothing (new archive) or the state the last trailer closed. */
interface Base {
  sequence: number;
  headerCrc: number;
  superseded: SupersededState[];
  entries: EntryInfo[];
  previousTrailer: number;
  /** CRC32 of the bytes already in the file */
  fileCrc: number;
}

const encoder = new TextEncoder();

function jsonBytes(value: unknown, what: string): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new ArchiveUsageError(`${what} cannot be stored as JSON: ${(e as Error).message}`);
  }
  if (text === undefined) throw new ArchiveUsageError(`${what} cannot be stored as JSON`);
  return encoder.encode(text);
}

function isStep(step: unknown): step is number | null {
  return step === null || (typeof step === 'number' && Number.isSafeInteger(step) && step >= 0);
}

export async function createArchive(path: string, header: ArchiveHeader, opts: WriteOptions = {}): Promise<ArchiveWriter> {
  opts.signal?.throwIfAborted();
  if (typeof header?.creator !== 'string') throw new ArchiveUsageError('archive header needs a creator');
  const preamble = encodePreamble(jsonBytes(header, 'archive header'));
  if (preamble.byteLength > LIMITS.headerJson) throw new ArchiveUsageError(`archive header is ${preamble.byteLength} bytes; the limit is ${LIMITS.headerJson}`);
  const headerCrc = new DataView(preamble.buffer, preamble.byteLength - 4).getUint32(0, true);
  const output = await atomicOutput(path);
  const writer = new ArchiveWriter(path, output, { sequence: 0, headerCrc, superseded: [], entries: [], previousTrailer: 0, fileCrc: 0 }, opts.signal);
  try {
    await writer.writeRaw(preamble);
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    throw e;
  }
  return writer;
}

/**
 * Opens an archive for adding entries at its end. Its last trailer must be valid (an archive left
 * incomplete by a crash must be recovered first); nothing before its end is rewritten.
 */
export async function appendToArchive(path: string, opts: WriteOptions = {}): Promise<ArchiveWriter> {
  opts.signal?.throwIfAborted();
  const reader = await openArchive(path);
  let base: Base;
  try {
    if (reader.version.minor > FORMAT_MINOR) throw new ArchiveUsageError(`${path}: written by a newer format version (1.${reader.version.minor}); this version cannot append to it`);
    const { trailer, trailerOffset, headerCrc, index } = reader.structure;
    base = {
      sequence: trailer.sequence,
      headerCrc,
      superseded: [...index.superseded, { index: trailer.indexOffset, indexLength: trailer.indexLength, trailer: trailerOffset }],
      entries: [...index.entries],
      previousTrailer: trailerOffset,
      fileCrc: crc32(encodeTrailer(trailer), trailer.fileCrc),
    };
  } finally {
    await reader.close();
  }
  const output = await appendOutput(path, reader.size);
  return new ArchiveWriter(path, output, base, opts.signal);
}

interface OpenEntry {
  index: number;
  step: number | null;
  label?: string;
  mode: string;
  header: SectionInfo;
  sections: SectionInfo[];
  keys: Set<string>;
}

export class ArchiveWriter {
  private state: 'open' | 'closed' | 'aborted' = 'open';
  private failure: unknown;
  private readonly entries: EntryInfo[];
  private current: OpenEntry | undefined;
  private crc: number;
  /** operations run one after another, in call order */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly onAbort: (() => void) | undefined;

  constructor(
    readonly file: string,
    private readonly out: ArchiveOutput,
    private readonly base: Base,
    private readonly signal?: AbortSignal,
  ) {
    this.entries = [...base.entries];
    this.crc = base.fileCrc;
    if (signal) {
      this.onAbort = () => void this.abort(signal.reason).catch(() => undefined);
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** Starts an entry (one checkpoint) and stores its header. */
  beginEntry(header: EntryHeader): Promise<EntryInfo> {
    return this.run(async () => {
      if (this.current) throw new ArchiveUsageError(`${describeEntry(this.current.index, this.current.step)} is still open; call endEntry first`);
      if (!isStep(header?.step)) throw new ArchiveUsageError(`entry step must be a non-negative integer or null, not ${JSON.stringify(header?.step)}`);
      if (typeof header.mode !== 'string') throw new ArchiveUsageError('entry header needs a mode');
      const step = header.step;
      if (step !== null && this.entries.some((e) => e.step === step)) throw new ArchiveUsageError(`the archive already has an entry for step ${step}`);
      const index = this.entries.length;
      const json = jsonBytes(header, `header of ${describeEntry(index, step)}`);
      const written = await this.writeSection({ kind: ENTRY_HEADER_KIND, name: header.label ?? '' }, index, step, json);
      const entry: OpenEntry = { index, step, mode: header.mode, header: written, sections: [], keys: new Set() };
      if (header.label !== undefined) entry.label = header.label;
      this.current = entry;
      return snapshot(entry);
    });
  }

  /**
   * Adds a section to the open entry. `data` may be one buffer or a stream of chunks (each chunk is
   * written before the next is pulled, so memory stays at one chunk).
   */
  addSection(meta: SectionMeta, data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<SectionInfo> {
    return this.run(async () => {
      const entry = this.current;
      if (!entry) throw new ArchiveUsageError('addSection outside an entry; call beginEntry first');
      if (typeof meta?.kind !== 'string' || meta.kind.length === 0 || meta.kind.startsWith('@')) throw new ArchiveUsageError(`section kind must be a non-empty string not starting with '@', not ${JSON.stringify(meta?.kind)}`);
      if (typeof meta.name !== 'string') throw new ArchiveUsageError('section name must be a string');
      const key = `${meta.kind}\u0000${meta.name}`;
      if (entry.keys.has(key)) throw new ArchiveUsageError(`${describeEntry(entry.index, entry.step)} already has a section of kind ${meta.kind} named '${meta.name}'`);
      const section = await this.writeSection(meta, entry.index, entry.step, data);
      entry.keys.add(key);
      entry.sections.push(section);
      return section;
    });
  }

  /** Ends the open entry; it becomes part of the archive when the writer closes. */
  endEntry(): Promise<EntryInfo> {
    return this.run(async () => {
      const entry = this.current;
      if (!entry) throw new ArchiveUsageError('endEntry without an open entry');
      this.current = undefined;
      const info = snapshot(entry);
      this.entries.push(info);
      return info;
    });
  }

  /** Writes the index and the trailer and puts the archive in place. */
  close(): Promise<CloseResult> {
    return this.run(async () => {
      if (this.current) throw new ArchiveUsageError(`${describeEntry(this.current.index, this.current.step)} is still open; call endEntry before close`);
      const sequence = this.base.sequence + 1;
      const indexBytes = encodeIndex({ sequence, headerCrc: this.base.headerCrc, superseded: this.base.superseded, entries: this.entries });
      const indexOffset = this.out.position;
      await this.writeRaw(indexBytes);
      const trailer: Trailer = { indexOffset, indexLength: indexBytes.byteLength, indexCrc: crc32(indexBytes), sequence, previousTrailer: this.base.previousTrailer, fileCrc: this.crc };
      // The trailer makes the new state valid: everything it points at must be on disk first.
      await this.out.barrier();
      await this.writeRaw(encodeTrailer(trailer));
      await this.out.commit();
      this.state = 'closed';
      this.detach();
      return { file: this.file, size: indexOffset + indexBytes.byteLength + TRAILER_BYTES, entries: this.entries.length, sequence };
    });
  }

  /** Discards everything this writer wrote. Safe to call at any time, more than once. */
  abort(reason: unknown = new Error('archive write aborted')): Promise<void> {
    const done = this.queue.then(() => this.discard(reason));
    this.queue = done.catch(() => undefined);
    return done;
  }

  /** Appends bytes that are not a section (preamble, index, trailer). */
  async writeRaw(bytes: Uint8Array): Promise<void> {
    this.crc = crc32(bytes, this.crc);
    await this.out.write(bytes);
  }

  private async writeSection(meta: SectionMeta, entry: number, step: number | null, data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<SectionInfo> {
    const metaJson = jsonBytes({ entry, step, kind: meta.kind, name: meta.name }, `section '${meta.name}'`);
    if (metaJson.byteLength > LIMITS.sectionMeta) throw new ArchiveUsageError(`section name '${meta.name.slice(0, 80)}...' is too long`);
    if (meta.attrs !== undefined) jsonBytes(meta.attrs, `attrs of section '${meta.name}'`);
    const at = this.out.position;
    await this.writeRaw(encodeSectionHead(metaJson));
    const offset = this.out.position;
    let crc = 0;
    for await (const chunk of data instanceof Uint8Array ? [data] : data) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError(`section '${meta.name}': a chunk is not a Uint8Array`);
      this.signal?.throwIfAborted();
      crc = crc32(chunk, crc);
      await this.writeRaw(chunk);
    }
    const length = this.out.position - offset;
    await this.writeRaw(encodeSectionTail(length, crc));
    const info: SectionInfo = { kind: meta.kind, name: meta.name, entry, step, at, offset, length, crc };
    if (meta.attrs !== undefined) info.attrs = meta.attrs;
    return info;
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      if (this.state !== 'open') throw this.state === 'aborted' ? this.failure : new ArchiveUsageError(`the archive writer for ${this.file} is closed`);
      try {
        this.signal?.throwIfAborted();
        return await op();
      } catch (e) {
        // Refusals come before any byte is written and leave the writer usable; anything else
        // (I/O, a failing data stream, an abort) discards the whole write.
        if (!(e instanceof ArchiveUsageError)) await this.discard(e).catch(() => undefined);
        throw e;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async discard(reason: unknown): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.failure = reason;
    this.detach();
    await this.out.discard();
  }

  private detach(): void {
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
  }
}

function snapshot(entry: OpenEntry): EntryInfo {
  const info: EntryInfo = { index: entry.index, step: entry.step, mode: entry.mode, header: entry.header, sections: [...entry.sections] };
  if (entry.label !== undefined) info.label = entry.label;
  return info;
}
