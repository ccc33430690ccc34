// `compress`: one checkpoint (lossless, or ExCP against a reference checkpoint) or a whole run
// directory (the first checkpoint lossless, each later one ExCP against the RESTORED previous one,
// ALGORITHMS.md 1.5), into a .ckpz archive; `--append` adds the run's new checkpoints to an archive
// without rewriting it. Progress and cancellation (AbortSignal) throughout.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Backend } from '../../../kernels/src/index.ts';
import type { Checkpoint } from '../checkpoint/model.ts';
import { openCheckpoint } from '../checkpoint/open.ts';
import { isRunDirectory, listSeries } from '../checkpoint/series.ts';
import { FormatError } from '../formats/types.ts';
import { createArchiveOut, openArchiveIn, type ArchiveOut } from './archiveStore.ts';
import { compressEntry, type ReferenceWeights } from './compressEntry.ts';
import type { EntryInfo, EntryReference } from './entryInfo.ts';
import type { ExcpParams } from './excpTensor.ts';
import { captureLayout } from './layout.ts';
import type { CompressMode, Progress } from './options.ts';
import { RestoredStore } from './restoredStore.ts';
import { encodeBytes } from './codec/index.ts';
import { searchAlpha, type RateChoice, type RateTarget } from './rateControl.ts';
import { checkpointWeights } from './referenceWeights.ts';
import { EntryDecoder } from './restoreEntry.ts';

export interface CompressRequest {
  source: string;
  reference?: string;
  output: string;
  mode: CompressMode;
  params: ExcpParams;
  append?: boolean;
  /** rate control for ExCP entries: alpha is searched to meet it (beta, bits as given) */
  rate?: RateTarget;
  backend: Backend;
  progress: Progress;
  signal?: AbortSignal;
}

export interface CompressSummary {
  archive: string;
  orig_bytes: number;
  compressed_bytes: number;
  ratio: number;
  seconds: number;
  params: ExcpParams & { mode: CompressMode };
  entries: Array<{ step: number | null; name: string; mode: CompressMode; orig_bytes: number; compressed_bytes: number; ratio: number } & EntryInfo['stats']>;
}

function storeWeights(store: RestoredStore): ReferenceWeights {
  return { get: (p) => store.get(p) };
}

/** Bytes a section costs besides its payload and name: its record's head and tail, its index entry. */
const SECTION_OVERHEAD = 190;

async function addEntry(
  archive: ArchiveOut,
  ckpt: Checkpoint,
  req: CompressRequest,
  mode: CompressMode,
  reference: EntryReference,
  refWeights: ReferenceWeights | undefined,
  next: RestoredStore | undefined,
  progress: Progress,
): Promise<EntryInfo> {
  const layout = await captureLayout(ckpt);
  const name = basename(ckpt.path);
  let params = req.params;
  let rate: RateChoice | undefined;
  if (mode === 'excp' && req.rate && (req.rate.targetRatio !== undefined || req.rate.maxRelErr !== undefined)) {
    // Trial runs into a byte counter: the payloads, plus each section's record and index entry and
    // the entry record, so the ratio is the one the archive will show (within a few hundred bytes).
    rate = await searchAlpha(async (alpha) => {
      let bytes = 0;
      const trialParams = { ...req.params, alpha };
      const s = await compressEntry({ ckpt, layout, mode, params: trialParams, backend: req.backend, reference: refWeights, out: { put: async (n, d) => void (bytes += d.byteLength + SECTION_OVERHEAD + 2 * n.length) }, progress: () => {}, signal: req.signal });
      bytes += encodeBytes(new TextEncoder().encode(JSON.stringify({ layout, stats: s, params: trialParams }))).byteLength;
      return { bytes, relErr: s.rel_err_w ?? 0 };
    }, layout.files.reduce((s, f) => s + f.size, 0), req.rate);
    params = { ...req.params, alpha: rate.alpha };
  }
  const sections = await archive.beginEntry(name, ckpt.step, mode);
  const stats = await compressEntry({
    ckpt, layout, mode, params, backend: req.backend, reference: refWeights, out: sections, progress, signal: req.signal,
    restored: next ? (p, w) => next.put(p, w) : undefined,
  });
  if (rate) stats.rate_control = { ...req.rate, alpha: rate.alpha, met: rate.met, trials: rate.trials };
  // A lossless entry is its own restored state: the next entry's reference is the original weights.
  if (next && mode === 'lossless') {
    const own = checkpointWeights(ckpt);
    for (const t of ckpt.tensors) await next.put(t.name, (await own.get(t.name))!);
  } else if (next) {
    // Parameters ExCP could not take were stored losslessly: they are their own reference too.
    const own = checkpointWeights(ckpt);
    for (const p of Object.keys(stats.lossless_params)) await next.put(p, (await own.get(p))!);
  }
  const info: EntryInfo = { step: ckpt.step, name, mode, params, reference, layout, stats };
  await archive.endEntry(info);
  return info;
}

export async function compress(req: CompressRequest): Promise<CompressSummary> {
  const started = performance.now();
  const isRun = (await stat(req.source)).isDirectory() && (await isRunDirectory(req.source));
  const infos: EntryInfo[] = [];
  const sizes: number[] = [];
  let archive: ArchiveOut | undefined;
  const stores: RestoredStore[] = [];
  try {
    if (isRun) {
      if (req.reference) throw new FormatError('--ref applies to one checkpoint; a run directory is compressed as a chain', req.source);
      const series = await listSeries(req.source);
      if (series.checkpoints.length === 0) throw new FormatError('no checkpoint-N directories here', req.source);
      let prev: RestoredStore | undefined;
      let todo = series.checkpoints;
      if (req.append) {
        // Rebuild the restored last entry, then compress only the newer checkpoints against it.
        const existing = await openArchiveIn(req.output);
        try {
          const last = existing.entries.at(-1);
          if (!last) throw new FormatError('the archive has no entries to append to', req.output);
          todo = series.checkpoints.filter((c) => c.step > (last.info.step ?? -Infinity));
          if (todo.length === 0) throw new FormatError(`nothing to append: the archive already ends at step ${last.info.step}`, req.output);
          prev = await RestoredStore.create();
          stores.push(prev);
          const dec = new EntryDecoder(existing.entries.map((e) => e.info), existing.entries.map((e) => e.reader), req.output);
          for (const p of last.info.layout.params) await prev.put(p.name, await dec.weight(existing.entries.length - 1, p.name));
        } finally {
          await existing.close();
        }
        archive = await createArchiveOut(req.output, { append: true, signal: req.signal });
      } else {
        archive = await createArchiveOut(req.output, { append: false, signal: req.signal });
      }
      for (const [i, c] of todo.entries()) {
        const ckpt = await openCheckpoint(c.path);
        const next = i < todo.length - 1 ? await RestoredStore.create() : undefined;
        if (next) stores.push(next);
        const mode: CompressMode = prev ? req.mode : 'lossless';
        const reference: EntryReference = prev ? { kind: 'chain', step: infos.at(-1)?.step ?? null } : { kind: 'none' };
        const part = (d: number, m: string) => req.progress((i + d) / todo.length, `${basename(c.path)}: ${m}`);
        const info = await addEntry(archive, ckpt, req, mode, reference, prev && storeWeights(prev), next, part);
        infos.push(info);
        sizes.push(archive.lastEntryBytes());
        if (prev) await prev.dispose(), stores.splice(stores.indexOf(prev), 1);
        prev = next;
      }
    } else {
      if (req.append) throw new FormatError('--append adds checkpoints of a run directory; give the run directory', req.source);
      const ckpt = await openCheckpoint(req.source);
      let reference: EntryReference = { kind: 'none' };
      let refWeights: ReferenceWeights | undefined;
      let mode = req.mode;
      if (req.reference) {
        const refCkpt = await openCheckpoint(req.reference);
        const w = checkpointWeights(refCkpt);
        refWeights = w;
        reference = { kind: 'external', step: refCkpt.step, path: refCkpt.path, crc32: await w.crc32() };
      } else if (mode === 'excp') {
        // ExCP needs a reference; without one the checkpoint is stored losslessly (say so).
        mode = 'lossless';
      }
      archive = await createArchiveOut(req.output, { append: false, signal: req.signal });
      infos.push(await addEntry(archive, ckpt, req, mode, reference, refWeights, undefined, req.progress));
      sizes.push(archive.lastEntryBytes());
    }
    const compressedBytes = await archive.close();
    const orig = infos.reduce((s, e) => s + e.stats.orig_bytes, 0);
    return {
      archive: req.output,
      orig_bytes: orig,
      compressed_bytes: compressedBytes,
      ratio: orig / Math.max(1, compressedBytes),
      seconds: (performance.now() - started) / 1000,
      // One entry: the parameters it used (rate control may have chosen alpha); a run: those asked for.
      params: { ...(infos.length === 1 ? infos[0]!.params : req.params), mode: req.mode },
      entries: infos.map((e, i) => ({ step: e.step, name: e.name, mode: e.mode, compressed_bytes: sizes[i]!, ratio: e.stats.orig_bytes / Math.max(1, sizes[i]!), ...e.stats })),
    };
  } catch (e) {
    await archive?.abort();
    throw e;
  } finally {
    for (const s of stores) await s.dispose();
  }
}
