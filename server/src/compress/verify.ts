// `verify`: every checksum of the archive, every entry decoded (a lossless entry must reproduce the
// CRC32 of each original file), and with the original checkpoint at hand per-tensor errors.
import { crc32 } from 'node:zlib';
import { openCheckpoint } from '../checkpoint/open.ts';
import { readRange } from '../formats/tensorData.ts';
import { toFloat32 } from '../formats/dtype.ts';
import { decodeBytes } from './codec/index.ts';
import { openArchiveIn } from './archiveStore.ts';
import type { Progress } from './options.ts';
import { EntryDecoder, interleave } from './restoreEntry.ts';
import { entryIndex, externalReference } from './restore.ts';
import { sectionName } from './sections.ts';

export interface VerifyRequest {
  archive: string;
  /** the original checkpoint, for per-tensor errors */
  against?: string;
  reference?: string;
  step?: number;
  progress: Progress;
  signal?: AbortSignal;
}

export interface VerifyReport {
  archive: string;
  ok: boolean;
  sections: number;
  entries: Array<{ step: number | null; name: string; mode: string; bitExact?: boolean; maxRelErr?: number; tensors?: Record<string, number> }>;
  errors: string[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function verify(req: VerifyRequest): Promise<VerifyReport> {
  const a = await openArchiveIn(req.archive);
  const report: VerifyReport = { archive: req.archive, ok: true, sections: 0, entries: [], errors: [] };
  try {
    const checked = await a.verifyAll((d, m) => req.progress(d / 2, m), req.signal);
    report.sections = checked.sections;
    report.errors.push(...checked.errors);
    if (report.errors.length > 0) return { ...report, ok: false };
    const infos = a.entries.map((e) => e.info);
    const readers = a.entries.map((e) => e.reader);
    const target = req.against ? entryIndex(a, req.step, req.archive) : -1;
    let ext;
    try {
      ext = await externalReference(a, Math.max(target, infos.findIndex((e) => e.reference.kind === 'external')), req.reference, req.archive);
    } catch (e) {
      if (infos.some((x) => x.mode === 'excp' && x.reference.kind === 'external') && req.against) throw e;
    }
    const dec = new EntryDecoder(infos, readers, req.archive, ext);
    for (const [k, info] of infos.entries()) {
      req.signal?.throwIfAborted();
      req.progress(0.5 + (0.5 * k) / infos.length, info.name);
      const entry: VerifyReport['entries'][number] = { step: info.step, name: info.name, mode: info.mode };
      report.entries.push(entry);
      try {
        if (info.mode === 'lossless') {
          // Bit-exactness without the original: each file decodes to the CRC32 recorded at compress time.
          entry.bitExact = true;
          for (const f of info.layout.files) {
            let crc = 0;
            const skel = decodeBytes(await readers[k]!.get(sectionName.skeleton(f.name)));
            await interleave(f, skel, (r) => dec.lossless(k, r), (b) => void (crc = crc32(b, crc)));
            if (crc >>> 0 !== f.crc32 >>> 0) {
              entry.bitExact = false;
              report.errors.push(`${info.name}/${f.name}: restored bytes differ from the original (CRC32 ${crc >>> 0} vs ${f.crc32 >>> 0})`);
            }
          }
        } else if (info.reference.kind === 'chain' || ext) {
          for (const p of info.layout.params) await dec.weight(k, p.name);
        }
        if (k === target && req.against) {
          const ckpt = await openCheckpoint(req.against);
          entry.tensors = {};
          let max = 0;
          for (const t of ckpt.tensors) {
            const orig = toFloat32(await readRange(t.file, t.offset, t.byteLength, t.name), t.dtype);
            const got = await dec.weight(k, t.name);
            let e = 0, s = 0;
            for (let i = 0; i < orig.length; i++) {
              const d = got[i]! - orig[i]!;
              e += d * d;
              s += orig[i]! * orig[i]!;
            }
            const rel = s > 0 ? Math.sqrt(e / s) : Math.sqrt(e);
            entry.tensors[t.name] = rel;
            max = Math.max(max, rel);
          }
          entry.maxRelErr = max;
          if (info.mode === 'lossless' && max !== 0) report.errors.push(`${info.name}: lossless entry differs from ${req.against}`);
        }
      } catch (e) {
        report.errors.push(`${info.name}: ${message(e)}`);
      }
    }
    report.ok = report.errors.length === 0;
    return report;
  } finally {
    await a.close();
  }
}
