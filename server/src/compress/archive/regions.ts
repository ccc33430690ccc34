// The archive's byte map. Every byte before the current trailer belongs to exactly one region: the
// preamble, a section record (head, payload, tail), a superseded index + trailer, or the current
// index. Checking at open that the regions tile the file without gap or overlap is what makes every
// offset in the index safe to read and lets verify() check every byte under some checksum.
import { ArchiveError, describeSection } from './errors.ts';
import { CRC_BYTES, LIMITS, SECTION_HEAD_FIXED, SECTION_TAIL_BYTES, TRAILER_BYTES } from './format.ts';
import type { ArchiveIndex } from './indexJson.ts';
import type { SectionInfo, SupersededState } from './types.ts';

export type Region =
  | { kind: 'preamble'; start: number; end: number }
  | { kind: 'section'; start: number; end: number; section: SectionInfo }
  | { kind: 'superseded'; start: number; end: number; state: SupersededState }
  | { kind: 'index'; start: number; end: number };

function describeRegion(r: Region): string {
  switch (r.kind) {
    case 'preamble':
      return 'the archive header';
    case 'section':
      return describeSection(r.section);
    case 'superseded':
      return `the superseded index at byte ${r.start}`;
    case 'index':
      return 'the index';
  }
}

/** The regions in file order; throws when the index describes overlapping, gapped or impossible ones. */
export function layoutRegions(index: ArchiveIndex, preambleEnd: number, indexOffset: number, trailerOffset: number, file: string): Region[] {
  const fail = (msg: string, section?: SectionInfo): never => {
    throw new ArchiveError(`index: ${msg}`, file, { offset: indexOffset, section });
  };
  const regions: Region[] = [{ kind: 'preamble', start: 0, end: preambleEnd }];
  for (const entry of index.entries) {
    for (const section of [entry.header, ...entry.sections]) {
      const metaLength = section.offset - section.at - SECTION_HEAD_FIXED - CRC_BYTES;
      if (metaLength < 0 || metaLength > LIMITS.sectionMeta) fail(`its head would be ${metaLength} meta bytes long`, section);
      regions.push({ kind: 'section', start: section.at, end: section.offset + section.length + SECTION_TAIL_BYTES, section });
    }
  }
  for (const state of index.superseded) {
    if (state.trailer !== state.index + state.indexLength) fail(`superseded index at ${state.index} is not followed by its trailer`);
    regions.push({ kind: 'superseded', start: state.index, end: state.trailer + TRAILER_BYTES, state });
  }
  regions.push({ kind: 'index', start: indexOffset, end: trailerOffset });
  regions.sort((a, b) => a.start - b.start || a.end - b.end);
  let expected = 0;
  for (const r of regions) {
    if (r.start !== expected) fail(`${describeRegion(r)} starts at byte ${r.start}, expected ${expected} (regions overlap or leave a gap)`);
    if (r.end < r.start || r.end > trailerOffset) fail(`${describeRegion(r)} ends at byte ${r.end}, past the index`);
    expected = r.end;
  }
  return regions;
}
