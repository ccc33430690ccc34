// The .ckpz container (docs/FORMAT.md): checkpoints as entries of checksummed sections, an index at
// the end for random access, appends without rewriting, and recovery from an interrupted append.
export { createArchive, appendToArchive, ArchiveWriter, type WriteOptions, type CloseResult } from './writer.ts';
export { openArchive, ArchiveReader } from './reader.ts';
export { recoverArchive, type RecoverResult } from './recover.ts';
export type { VerifyReport } from './verify.ts';
export { ArchiveError, ArchiveIncompleteError, ArchiveUsageError, describeSection } from './errors.ts';
export { ENTRY_HEADER_KIND, type ArchiveHeader, type EntryHeader, type EntryInfo, type SectionInfo, type SectionMeta, type ProgressCallback } from './types.ts';
