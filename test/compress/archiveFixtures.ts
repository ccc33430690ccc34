// Small .ckpz archives with known contents for the archive tests, and a reader of everything in one.
import assert from 'node:assert/strict';
import { appendToArchive, createArchive, openArchive, type ArchiveWriter, type EntryHeader } from '../../server/src/compress/archive/archive.ts';

/** Deterministic bytes that differ per seed (a small LCG). */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export interface SampleSection {
  kind: string;
  name: string;
  bytes: Uint8Array;
  attrs?: Record<string, unknown>;
}

export interface SampleEntry {
  header: EntryHeader;
  sections: SampleSection[];
}

export function sampleEntry(step: number, count: number, maxBytes: number): SampleEntry {
  const sections: SampleSection[] = [];
  for (let i = 0; i < count; i++) {
    const length = i === 0 ? 0 : (i * 7919 + step) % (maxBytes + 1);
    sections.push({ kind: i % 3 === 0 ? 'w-codes' : 'm-codes', name: `model.layers.${i}.self_attn.q_proj.weight`, bytes: pattern(length, step * 1000 + i), attrs: i % 2 ? { codec: 'rans', n: i } : undefined });
  }
  return {
    header: {
      step,
      label: `checkpoint-${step}`,
      mode: step === 100 ? 'lossless' : 'excp',
      params: { alpha: 5e-5, beta: 2 },
      reference: step === 100 ? null : { step: step - 100 },
      layout: { files: [{ name: 'model.safetensors', dtypes: ['BF16'] }], order: sections.map((s) => s.name) },
      trainerState: { global_step: step, log_history: [{ loss: 1.5 }] },
    },
    sections,
  };
}

/** Writes the entries; sections with odd index go in as a stream of small chunks. */
export async function writeEntries(w: ArchiveWriter, entries: SampleEntry[]): Promise<void> {
  for (const e of entries) {
    await w.beginEntry(e.header);
    for (const [i, s] of e.sections.entries()) {
      const meta = { kind: s.kind, name: s.name, attrs: s.attrs };
      await w.addSection(meta, i % 2 ? chunked(s.bytes, 97) : s.bytes);
    }
    await w.endEntry();
  }
}

export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.slice(at, at + size);
}

export async function createSample(path: string, entries: SampleEntry[]): Promise<void> {
  const w = await createArchive(path, { creator: 'archive tests', description: 'series' });
  await writeEntries(w, entries);
  await w.close();
}

export async function appendSample(path: string, entries: SampleEntry[]): Promise<void> {
  const w = await appendToArchive(path);
  await writeEntries(w, entries);
  await w.close();
}

/** Opens the archive, checks every entry header and section against `entries`, and verifies it. */
export async function assertArchiveHolds(path: string, entries: SampleEntry[]): Promise<void> {
  const r = await openArchive(path);
  try {
    assert.deepEqual(
      r.entries.map((e) => e.step),
      entries.map((e) => e.header.step),
    );
    for (const [k, expected] of entries.entries()) {
      const entry = r.entries[k]!;
      assert.deepEqual(await r.readEntryHeader(entry), JSON.parse(JSON.stringify(expected.header)));
      assert.equal(entry.sections.length, expected.sections.length);
      for (const s of expected.sections) {
        const info = r.section(entry, s.kind, s.name);
        assert.ok(info, `section ${s.name}`);
        assert.deepEqual(info.attrs, s.attrs);
        assert.deepEqual(await r.readSection(info), s.bytes);
      }
    }
    await r.verify();
  } finally {
    await r.close();
  }
}
