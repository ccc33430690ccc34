// The compression pipeline's view of a .ckpz archive (archive/): entries of named sections, each
// entry closed by its EntryInfo (layout and figures) as brotli-coded JSON. Section names are
// `kind:name` (sections.ts), stored as the container's kind and name, so a checksum error names
// the tensor or file.
import { appendToArchive, createArchive, openArchive, type ArchiveReader, type ArchiveWriter, type SectionInfo } from './archive/archive.ts';
import type { EntryInfo as ArchiveEntry } from './archive/types.ts';
import { decodeBytes, encodeBytes } from './codec/index.ts';
import type { EntryInfo } from './entryInfo.ts';
import { FormatError } from '../formats/types.ts';
import { sectionName, type SectionReader, type SectionWriter } from './sections.ts';
import type { CompressMode } from './options.ts';

declare const __VERSION__: string | undefined;
const CREATOR = `checkpoint-lens ${typeof __VERSION__ === 'string' ? __VERSION__ : 'dev'}`;

function split(name: string): { kind: string; name: string } {
  const at = name.indexOf(':');
  return { kind: name.slice(0, at), name: name.slice(at + 1) };
}

export interface ArchiveOut {
  beginEntry(name: string, step: number | null, mode: CompressMode): Promise<SectionWriter>;
  endEntry(info: EntryInfo): Promise<void>;
  /** bytes of the last entry's records (its share of the file, the index aside) */
  lastEntryBytes(): number;
  /** finishes the archive (atomically); returns its size */
  close(): Promise<number>;
  abort(): Promise<void>;
}

function entryBytes(e: ArchiveEntry): number {
  const all = [e.header, ...e.sections];
  const last = all[all.length - 1]!;
  // Each record ends with its 8-byte tail (length + CRC) after the payload.
  return last.offset + last.length + 8 - e.header.at;
}

export async function createArchiveOut(path: string, opts: { append: boolean; signal?: AbortSignal }): Promise<ArchiveOut> {
  const w: ArchiveWriter = opts.append
    ? await appendToArchive(path, { signal: opts.signal })
    : await createArchive(path, { creator: CREATOR, created: new Date().toISOString(), description: 'checkpoint series' }, { signal: opts.signal });
  let last = 0;
  let closed = false;
  return {
    async beginEntry(name, step, mode) {
      await w.beginEntry({ step, label: name, mode });
      return { put: async (n, data) => void (await w.addSection(split(n), data)) };
    },
    async endEntry(info) {
      await w.addSection(split(sectionName.info), encodeBytes(new TextEncoder().encode(JSON.stringify(info))));
      last = entryBytes(await w.endEntry());
    },
    lastEntryBytes: () => last,
    async close() {
      closed = true;
      return (await w.close()).size;
    },
    async abort() {
      if (!closed) await w.abort();
    },
  };
}

export interface ArchiveIn {
  /** `bytes`: the entry's records in the file (what it costs; the index aside) */
  entries: Array<{ info: EntryInfo; reader: SectionReader; bytes: number }>;
  /** every checksum; problems as messages (the container names the section) */
  verifyAll(progress: (done: number, message: string) => void, signal?: AbortSignal): Promise<{ sections: number; errors: string[] }>;
  close(): Promise<void>;
}

function sectionReader(r: ArchiveReader, e: ArchiveEntry): SectionReader {
  const find = (n: string): SectionInfo | undefined => {
    const { kind, name } = split(n);
    return r.section(e, kind, name);
  };
  return {
    has: (n) => find(n) !== undefined,
    async get(n) {
      const s = find(n);
      if (!s) throw new FormatError(`entry ${e.label ?? e.step ?? e.index} has no section '${n}'`, r.file);
      return r.readSection(s);
    },
  };
}

export async function openArchiveIn(path: string): Promise<ArchiveIn> {
  const r = await openArchive(path);
  try {
    const entries: ArchiveIn['entries'] = [];
    for (const e of r.entries) {
      const reader = sectionReader(r, e);
      let info: EntryInfo;
      try {
        info = JSON.parse(new TextDecoder().decode(decodeBytes(await reader.get(sectionName.info)))) as EntryInfo;
      } catch (err) {
        throw err instanceof FormatError ? err : new FormatError(`entry ${e.label ?? e.step ?? e.index}: unreadable entry record (${(err as Error).message})`, path);
      }
      entries.push({ info, reader, bytes: entryBytes(e) });
    }
    return {
      entries,
      async verifyAll(progress, signal) {
        try {
          const v = await r.verify({ onProgress: (d, t) => progress(t > 0 ? d / t : 1, 'checksums'), signal });
          return { sections: v.sections, errors: [] };
        } catch (err) {
          if (signal?.aborted) throw err;
          return { sections: 0, errors: [(err as Error).message] };
        }
      },
      close: () => r.close(),
    };
  } catch (err) {
    await r.close();
    throw err;
  }
}
