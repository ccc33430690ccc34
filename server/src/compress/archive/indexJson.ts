// The index: one JSON object before the trailer listing every entry and section (offsets, lengths,
// CRCs, metadata), the CRC of the archive header and the superseded index/trailer pairs. Parsing
// treats it as hostile: every field is type-checked and any problem is an ArchiveError naming the
// index's offset, never a crash.
import { ArchiveError } from './errors.ts';
import { ENTRY_HEADER_KIND, type EntryInfo, type SectionInfo, type SupersededState } from './types.ts';

export interface ArchiveIndex {
  sequence: number;
  /** CRC32 stored at the end of the preamble: ties the archive header into the index's checksum */
  headerCrc: number;
  superseded: SupersededState[];
  entries: EntryInfo[];
}

interface SectionRecord {
  kind: string;
  name: string;
  attrs?: Record<string, unknown>;
  at: number;
  offset: number;
  length: number;
  crc: number;
}

function record(s: SectionInfo): SectionRecord {
  const r: SectionRecord = { kind: s.kind, name: s.name, at: s.at, offset: s.offset, length: s.length, crc: s.crc };
  if (s.attrs !== undefined) r.attrs = s.attrs;
  return r;
}

export function encodeIndex(index: ArchiveIndex): Uint8Array {
  const json = {
    sequence: index.sequence,
    headerCrc: index.headerCrc,
    superseded: index.superseded,
    entries: index.entries.map((e) => ({ step: e.step, label: e.label, mode: e.mode, header: record(e.header), sections: e.sections.map(record) })),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON text of `bytes`, parsed; a FormatError naming `what` when it is not UTF-8 or not JSON. */
export function parseJsonBytes(bytes: Uint8Array, file: string, offset: number, what: string): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw new ArchiveError(`${what} is not valid JSON (${(e as Error).message})`, file, { offset });
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isU32(v: unknown): v is number {
  return isCount(v) && v <= 0xffffffff;
}

export function parseIndex(bytes: Uint8Array, file: string, offset: number): ArchiveIndex {
  const fail = (msg: string): never => {
    throw new ArchiveError(`index: ${msg}`, file, { offset });
  };
  const root = parseJsonBytes(bytes, file, offset, 'index');
  if (!isPlainObject(root)) return fail('not a JSON object');
  const { sequence, headerCrc, superseded, entries } = root;
  if (!isU32(sequence) || sequence < 1) fail(`bad sequence ${JSON.stringify(sequence)}`);
  if (!isU32(headerCrc)) fail('bad headerCrc');
  if (!Array.isArray(superseded)) return fail('superseded is not a list');
  if (!Array.isArray(entries)) return fail('entries is not a list');

  const states = superseded.map((s: unknown, i): SupersededState => {
    if (!isPlainObject(s) || !isCount(s.index) || !isCount(s.indexLength) || !isCount(s.trailer)) return fail(`superseded[${i}] is malformed`);
    return { index: s.index, indexLength: s.indexLength, trailer: s.trailer };
  });

  const steps = new Set<number>();
  const parsed = entries.map((e: unknown, index): EntryInfo => {
    const where = `entries[${index}]`;
    if (!isPlainObject(e)) return fail(`${where} is not an object`);
    const step = e.step;
    if (step !== null && !isCount(step)) return fail(`${where}.step is ${JSON.stringify(step)}`);
    if (step !== null) {
      if (steps.has(step)) fail(`two entries have step ${step}`);
      steps.add(step);
    }
    if (e.label !== undefined && typeof e.label !== 'string') fail(`${where}.label is not a string`);
    if (typeof e.mode !== 'string') return fail(`${where}.mode is not a string`);
    if (!Array.isArray(e.sections)) return fail(`${where}.sections is not a list`);
    const section = (r: unknown, at: string): SectionInfo => {
      if (!isPlainObject(r)) return fail(`${at} is not an object`);
      const { kind, name, attrs } = r;
      if (typeof kind !== 'string' || kind.length === 0 || typeof name !== 'string') return fail(`${at} has no kind or name`);
      if (attrs !== undefined && !isPlainObject(attrs)) fail(`${at}.attrs is not an object`);
      if (!isCount(r.at) || !isCount(r.offset) || !isCount(r.length) || !isU32(r.crc)) return fail(`${at} (${kind} '${name}') has bad offsets or CRC`);
      const info: SectionInfo = { kind, name, entry: index, step, at: r.at, offset: r.offset, length: r.length, crc: r.crc };
      if (attrs !== undefined) info.attrs = attrs as Record<string, unknown>;
      return info;
    };
    const header = section(e.header, `${where}.header`);
    if (header.kind !== ENTRY_HEADER_KIND) fail(`${where}.header has kind '${header.kind}'`);
    const keys = new Set<string>();
    const sections = e.sections.map((r: unknown, i) => {
      const s = section(r, `${where}.sections[${i}]`);
      if (s.kind.startsWith('@')) fail(`${where}.sections[${i}] uses the reserved kind '${s.kind}'`);
      const key = `${s.kind}\u0000${s.name}`;
      if (keys.has(key)) fail(`${where} has two sections of kind ${s.kind} named '${s.name}'`);
      keys.add(key);
      return s;
    });
    const info: EntryInfo = { index, step, mode: e.mode, header, sections };
    if (e.label !== undefined) info.label = e.label as string;
    return info;
  });
  return { sequence: sequence as number, headerCrc: headerCrc as number, superseded: states, entries: parsed };
}
