// Recovering an archive whose end is not a valid trailer (an append that was killed part-way, a
// copy cut short): find the latest earlier trailer that closes a complete, fully verified state and
// truncate the file there. Trailers are found by their end marker, scanning back from the end; a
// candidate counts only if its index opens and every checksum up to it verifies.
import { open, stat } from 'node:fs/promises';
import { ArchiveError } from './errors.ts';
import { readExact } from './fileIo.ts';
import { END_MAGIC, MIN_ARCHIVE_BYTES } from './format.ts';
import { openArchive, openArchiveEndingAt, type ArchiveReader } from './reader.ts';

export interface RecoverResult {
  /** `intact`: the archive opened as it was; `truncated`: cut back to an earlier complete state */
  status: 'intact' | 'truncated';
  originalSize: number;
  size: number;
  /** bytes dropped from the end (0 when intact, or nothing would be when `dryRun`) */
  droppedBytes: number;
  entries: number;
  sequence: number;
}

const SCAN_BLOCK = 1 << 20;

export async function recoverArchive(path: string, opts: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<RecoverResult> {
  const originalSize = (await stat(path)).size;
  let failure: unknown;
  try {
    const reader = await openArchive(path);
    await reader.close();
    return { status: 'intact', originalSize, size: originalSize, droppedBytes: 0, entries: reader.entries.length, sequence: reader.sequence };
  } catch (e) {
    if (!(e instanceof ArchiveError)) throw e;
    failure = e;
  }
  let damaged: ArchiveError | undefined;
  for await (const end of trailerEnds(path, originalSize)) {
    opts.signal?.throwIfAborted();
    if (end === originalSize) continue; // the end that just failed to open
    let reader: ArchiveReader;
    try {
      reader = await openArchiveEndingAt(path, end);
    } catch (e) {
      if (e instanceof ArchiveError) continue;
      throw e;
    }
    try {
      await reader.verify({ signal: opts.signal });
    } catch (e) {
      if (!(e instanceof ArchiveError)) throw e;
      damaged ??= e; // an earlier state shares its bytes, but try it: the damage may lie after it
      continue;
    } finally {
      await reader.close();
    }
    if (!opts.dryRun) {
      const fh = await open(path, 'r+');
      try {
        await fh.truncate(end);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    return { status: 'truncated', originalSize, size: end, droppedBytes: originalSize - end, entries: reader.entries.length, sequence: reader.sequence };
  }
  if (damaged) throw new ArchiveError(`cannot recover: the latest earlier state is damaged too (${damaged.message})`, path, { offset: damaged.detail.offset });
  throw new ArchiveError(`cannot recover: no complete earlier state found (${(failure as Error).message})`, path);
}

/** File offsets just past each end marker, latest first. */
async function* trailerEnds(path: string, size: number): AsyncGenerator<number> {
  const fh = await open(path, 'r');
  try {
    const overlap = END_MAGIC.byteLength - 1;
    for (let blockEnd = size; blockEnd >= MIN_ARCHIVE_BYTES; blockEnd -= SCAN_BLOCK) {
      const blockStart = Math.max(0, blockEnd - SCAN_BLOCK - overlap);
      const block = Buffer.from(await readExact(fh, path, blockStart, blockEnd - blockStart));
      // The block reaches `overlap` bytes into the next (earlier) one so that a marker across the
      // boundary is seen; markers that end inside the earlier block are left to it.
      for (let at = block.lastIndexOf(END_MAGIC); at >= 0; at = at > 0 ? block.lastIndexOf(END_MAGIC, at - 1) : -1) {
        const end = blockStart + at + END_MAGIC.byteLength;
        if (end <= blockEnd - SCAN_BLOCK) break;
        if (end >= MIN_ARCHIVE_BYTES) yield end;
      }
    }
  } finally {
    await fh.close();
  }
}
