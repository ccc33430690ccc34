// Full verification: one sequential pass over the archive's regions (the byte map checked at open),
// checking each against its own checksum, then the whole-file CRC the trailer holds. The first
// failure throws an ArchiveError naming the region (the section, for a section's head, payload or tail).
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ArchiveError } from './errors.ts';
import { SequentialReader } from './fileIo.ts';
import { CRC_BYTES, decodeSectionHead, decodeSectionTail, decodeTrailer, SECTION_TAIL_BYTES, TRAILER_BYTES } from './format.ts';
import { isPlainObject, parseJsonBytes } from './indexJson.ts';
import type { ArchiveStructure } from './reader.ts';
import type { ProgressCallback, SectionInfo } from './types.ts';

export interface VerifyReport {
  entries: number;
  /** data sections, entry headers not counted */
  sections: number;
  /** bytes read: the whole archive */
  bytes: number;
  /** CRC32 of every byte before the trailer */
  fileCrc: number;
}

interface Pass {
  reader: SequentialReader;
  file: string;
  total: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export async function verifyArchive(fh: FileHandle, file: string, st: ArchiveStructure, opts: { onProgress?: ProgressCallback; signal?: AbortSignal }): Promise<VerifyReport> {
  const total = st.trailerOffset + TRAILER_BYTES;
  const pass: Pass = { reader: new SequentialReader(fh, file, 0, st.trailerOffset), file, total, onProgress: opts.onProgress, signal: opts.signal };
  for (const region of st.regions) {
    opts.signal?.throwIfAborted();
    switch (region.kind) {
      case 'preamble': {
        const crc = await crcOf(pass, region.end - CRC_BYTES);
        if (crc !== u32(await pass.reader.read(CRC_BYTES))) throw new ArchiveError('archive header checksum mismatch', file, { offset: 0 });
        break;
      }
      case 'section':
        await verifySection(pass, region.section);
        break;
      case 'superseded':
        await verifySuperseded(pass, st, st.index.superseded.indexOf(region.state));
        break;
      case 'index':
        if ((await crcOf(pass, region.end - region.start)) !== st.trailer.indexCrc) throw new ArchiveError('index checksum mismatch', file, { offset: region.start });
        break;
    }
    opts.onProgress?.(pass.reader.position, total);
  }
  if (pass.reader.crc !== st.trailer.fileCrc) throw new ArchiveError('whole-archive checksum mismatch', file, { offset: st.trailerOffset });
  opts.onProgress?.(total, total);
  const sections = st.index.entries.reduce((n, e) => n + e.sections.length, 0);
  return { entries: st.index.entries.length, sections, bytes: total, fileCrc: st.trailer.fileCrc };
}

/** CRC32 of the next `n` bytes on their own (the reader's running CRC keeps covering the whole file). */
async function crcOf(pass: Pass, n: number): Promise<number> {
  let crc = 0;
  for await (const chunk of pass.reader.chunks(n)) {
    crc = crc32(chunk, crc);
    pass.signal?.throwIfAborted();
    pass.onProgress?.(pass.reader.position, pass.total);
  }
  return crc;
}

async function verifySection(pass: Pass, s: SectionInfo): Promise<void> {
  const { reader, file } = pass;
  const head = decodeSectionHead(await reader.read(s.offset - s.at));
  if ('problem' in head) throw new ArchiveError(head.problem, file, { offset: s.at, section: s });
  const meta = parseJsonBytes(head.meta, file, s.at, 'section head');
  if (!isPlainObject(meta) || meta.kind !== s.kind || meta.name !== s.name || meta.entry !== s.entry || meta.step !== s.step) {
    throw new ArchiveError('section head does not match the index', file, { offset: s.at, section: s });
  }
  if ((await crcOf(pass, s.length)) !== s.crc) throw new ArchiveError('checksum mismatch', file, { offset: s.offset, section: s });
  const tailAt = reader.position;
  const tail = decodeSectionTail(await reader.read(SECTION_TAIL_BYTES));
  if (!tail.ok) throw new ArchiveError('section tail checksum mismatch', file, { offset: tailAt, section: s });
  if (tail.length !== s.length || tail.crc !== s.crc) throw new ArchiveError('section tail disagrees with the index (length or CRC)', file, { offset: tailAt, section: s });
}

/** A superseded index and its trailer: the state the archive had before an append, kept intact. */
async function verifySuperseded(pass: Pass, st: ArchiveStructure, i: number): Promise<void> {
  const { reader, file } = pass;
  const state = st.index.superseded[i]!;
  const indexCrc = await crcOf(pass, state.indexLength);
  const fileCrcBefore = reader.crc;
  const t = decodeTrailer(await reader.read(TRAILER_BYTES));
  const where = `superseded trailer at byte ${state.trailer}`;
  if ('problem' in t) throw new ArchiveError(`${where}: ${t.problem}`, file, { offset: state.trailer });
  if (t.indexOffset !== state.index || t.indexLength !== state.indexLength || t.sequence !== i + 1 || t.previousTrailer !== (st.index.superseded[i - 1]?.trailer ?? 0)) {
    throw new ArchiveError(`${where} disagrees with the index`, file, { offset: state.trailer });
  }
  if (t.indexCrc !== indexCrc) throw new ArchiveError(`superseded index at byte ${state.index}: checksum mismatch`, file, { offset: state.index });
  if (t.fileCrc !== fileCrcBefore) throw new ArchiveError(`${where}: whole-archive checksum of that earlier state mismatch`, file, { offset: state.trailer });
}

function u32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}
