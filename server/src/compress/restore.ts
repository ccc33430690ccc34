// `restore`: one entry of an archive back to a checkpoint in its original layout.
import { openCheckpoint } from '../checkpoint/open.ts';
import { FormatError } from '../formats/types.ts';
import { openArchiveIn, type ArchiveIn } from './archiveStore.ts';
import { checkpointWeights } from './referenceWeights.ts';
import type { Progress } from './options.ts';
import { EntryDecoder, restoreEntry, type ExternalWeights } from './restoreEntry.ts';

export interface RestoreRequest {
  archive: string;
  /** training step to restore (default: the last entry) */
  step?: number;
  /** the reference checkpoint an entry was compressed against (`compress --ref`) */
  reference?: string;
  output: string;
  progress: Progress;
  signal?: AbortSignal;
}

export interface RestoreResult {
  output: string;
  /** the files written, relative to `output` (or its name, for a single-file checkpoint) */
  files: string[];
  step: number | null;
  name: string;
  seconds: number;
}

/** The index of the entry for `step` (the last without one), or a clear error listing the steps. */
export function entryIndex(a: ArchiveIn, step: number | undefined, archive: string): number {
  if (a.entries.length === 0) throw new FormatError('the archive has no entries', archive);
  if (step === undefined) return a.entries.length - 1;
  const k = a.entries.findIndex((e) => e.info.step === step);
  if (k < 0) throw new FormatError(`no entry for step ${step}; the archive holds steps ${a.entries.map((e) => e.info.step ?? '?').join(', ')}`, archive);
  return k;
}

/** The external reference an entry needs, checked against the CRC32 of every weight recorded at compress time. */
export async function externalReference(a: ArchiveIn, k: number, path: string | undefined, archive: string): Promise<ExternalWeights | undefined> {
  const needs = a.entries.slice(0, k + 1).find((e) => e.info.reference.kind === 'external');
  if (!needs) return undefined;
  const ref = needs.info.reference;
  if (ref.kind !== 'external') return undefined;
  if (!path) throw new FormatError(`entry ${needs.info.name} was compressed against ${ref.path} (step ${ref.step ?? '?'}): pass that checkpoint with --ref`, archive);
  const w = checkpointWeights(await openCheckpoint(path));
  const crc = await w.crc32();
  for (const [name, expected] of Object.entries(ref.crc32)) {
    if (crc[name] !== expected) throw new FormatError(`--ref is not the checkpoint this entry was compressed against: tensor '${name}' differs (expected the weights of ${ref.path})`, path);
  }
  return w;
}

export async function restore(req: RestoreRequest): Promise<RestoreResult> {
  const started = performance.now();
  const a = await openArchiveIn(req.archive);
  try {
    // Every checksum first (one read of the archive, which is small next to what it restores): a
    // damaged byte anywhere fails the restore before anything is written.
    const checked = await a.verifyAll((d) => req.progress(d / 4, 'checking the archive'), req.signal);
    if (checked.errors.length > 0) throw new FormatError(checked.errors[0]!, req.archive);
    const k = entryIndex(a, req.step, req.archive);
    const ext = await externalReference(a, k, req.reference, req.archive);
    const infos = a.entries.map((e) => e.info);
    const readers = a.entries.map((e) => e.reader);
    const dec = new EntryDecoder(infos, readers, req.archive, ext);
    const output = await restoreEntry(dec, infos, readers, k, req.output, req.archive, (d, m) => req.progress(0.25 + 0.75 * d, m), req.signal);
    return { output, files: infos[k]!.layout.files.map((f) => f.name), step: infos[k]!.step, name: infos[k]!.name, seconds: (performance.now() - started) / 1000 };
  } finally {
    await a.close();
  }
}
