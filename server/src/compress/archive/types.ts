// What a .ckpz archive holds, as its users see it. The container is payload-agnostic: sections are
// bytes with a kind and a name; the JSON headers carry whatever the compression pipeline records.

/** Written once, at the start of the file; appends never change it. Any JSON-serializable values. */
export interface ArchiveHeader {
  /** the program that wrote the archive, e.g. `checkpoint-lens 0.1.0` */
  creator: string;
  /** ISO 8601 time of creation */
  created?: string;
  /** free text: what the archive holds (`series`, `single`, ...) */
  description?: string;
  extra?: Record<string, unknown>;
}

/**
 * One checkpoint of the archive ("entry"), written as the first section of the entry. `Layout` is the
 * pipeline's source layout (files, shards, dtypes, shapes, tensor order, optimizer parameter order and
 * hyper-parameters); the container stores it as JSON and does not look inside.
 */
export interface EntryHeader<Layout = unknown> {
  /** training step; unique among the archive's entries when not null */
  step: number | null;
  /** e.g. `checkpoint-200` */
  label?: string;
  /** how the sections are coded: `lossless`, `excp`, ... */
  mode: string;
  /** parameters of the mode (alpha, beta, bits, coder, ...) */
  params?: Record<string, unknown>;
  /** the entry (or outside checkpoint) this one is coded against; absent or null: standalone */
  reference?: { step: number | null; label?: string; external?: boolean } | null;
  layout?: Layout;
  /** trainer_state.json, parsed */
  trainerState?: unknown;
  extra?: Record<string, unknown>;
}

/** What the writer is told about a section. (kind, name) is unique within an entry. */
export interface SectionMeta {
  /** short tag of what the bytes are: `w-codes`, `skeleton`, `t`, ... (kinds starting with `@` are reserved) */
  kind: string;
  /** usually the tensor or file the bytes belong to */
  name: string;
  /** small JSON metadata kept in the index (codec, dtype, counts, ...) */
  attrs?: Record<string, unknown>;
}

/** A section as stored: where its record and its payload are, and its payload's CRC32. */
export interface SectionInfo extends SectionMeta {
  /** position of the entry in the archive (0-based, in writing order) */
  entry: number;
  /** the entry's training step */
  step: number | null;
  /** file offset of the section record (its head) */
  at: number;
  /** file offset and length of the payload */
  offset: number;
  length: number;
  /** CRC32 of the payload */
  crc: number;
}

export interface EntryInfo {
  index: number;
  step: number | null;
  label?: string;
  mode: string;
  /** the section holding the EntryHeader JSON (kind `@entry`) */
  header: SectionInfo;
  /** the entry's data sections, in writing order */
  sections: readonly SectionInfo[];
}

/** An index and trailer that a later append superseded; kept so that state stays recoverable. */
export interface SupersededState {
  index: number;
  indexLength: number;
  trailer: number;
}

/** The reserved kind of the section that holds an entry's header. */
export const ENTRY_HEADER_KIND = '@entry';

export type ProgressCallback = (done: number, total: number) => void;
