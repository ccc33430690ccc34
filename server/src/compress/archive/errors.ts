// Errors about an archive's bytes. They are FormatErrors (file and byte offset in the message) that
// also name the section, so a checksum failure says which tensor's data is damaged.
import { FormatError } from '../../formats/types.ts';
import { TRAILER_BYTES } from './format.ts';
import { ENTRY_HEADER_KIND, type SectionInfo } from './types.ts';

export function describeEntry(entry: number, step: number | null): string {
  return step === null ? `entry #${entry}` : `entry step ${step}`;
}

/** `section 'model.layers.0.mlp.weight' (entry step 200, kind w-codes)`, or `header of entry step 200`. */
export function describeSection(s: Pick<SectionInfo, 'kind' | 'name' | 'entry' | 'step'>): string {
  if (s.kind === ENTRY_HEADER_KIND) return `header of ${describeEntry(s.entry, s.step)}`;
  return `section '${s.name}' (${describeEntry(s.entry, s.step)}, kind ${s.kind})`;
}

export class ArchiveError extends FormatError {
  readonly section?: SectionInfo;

  constructor(message: string, file: string, where: { offset?: number; section?: SectionInfo } = {}) {
    super(where.section ? `${describeSection(where.section)}: ${message}` : message, file, { offset: where.offset });
    this.name = 'ArchiveError';
    this.section = where.section;
  }
}

/**
 * The archive has no valid trailer at its end: a write or append stopped part-way (or its last bytes
 * are damaged). `recoverArchive` can cut it back to the last complete state.
 */
export class ArchiveIncompleteError extends ArchiveError {
  constructor(problem: string, file: string, offset: number) {
    super(
      `the archive is incomplete (${problem} in the last ${TRAILER_BYTES} bytes): an append was interrupted or the end of the file is damaged; ` +
        'recoverArchive() (ckpt-lens recover) cuts it back to its last complete state',
      file,
      { offset },
    );
    this.name = 'ArchiveIncompleteError';
  }
}

/** A call the writer refuses before writing anything (wrong order, bad metadata); the writer stays usable. */
export class ArchiveUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveUsageError';
  }
}
