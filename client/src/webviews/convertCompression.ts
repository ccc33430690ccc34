// The compression report's data, from the summary of a compress job or from an archive's own records
// (checkpointLens/archiveInfo): per entry its sizes and pooled figures, and per layer (tensors grouped
// by name, as the analysis groups them) the kept shares and errors pooled over the layer's tensors.
import { basename } from 'node:path';
import { groupLayers } from '../../../server/src/analysis/layers.ts';
import type { CompressSummary } from '../../../server/src/compress/compress.ts';
import type { EntryStats } from '../../../server/src/compress/compressEntry.ts';
import type { EntryReference } from '../../../server/src/compress/entryInfo.ts';
import type { ExcpParams } from '../../../server/src/compress/excpTensor.ts';
import type { ArchiveInfoResult } from '../../../server/src/protocol.ts';
import type { CompressionData, CompressionEntry, CompressionLayers, PanelArgs } from '../../../webview/src/protocol.ts';
import { describeChoice } from '../commands/compressParams.ts';
import { labelOfPath } from './convert.ts';

/** What both sources know of an entry. */
interface EntryFacts {
  name: string;
  step: number | null;
  mode: 'excp' | 'lossless';
  compressedBytes: number;
  stats: EntryStats;
  params: ExcpParams;
  /** null: not recorded (a job's summary does not repeat it) */
  reference: EntryReference | null;
}

const ratioOf = (orig: number, compressed: number) => orig / Math.max(1, compressed);

/** Sums of `value(tensor) * weight(tensor)` and of the weights, per layer; NaN where no tensor has a value. */
function pooled(groups: readonly string[][], value: (name: string) => number | null, weight: (name: string) => number): Float64Array {
  return Float64Array.from(groups, (names) => {
    let num = 0;
    let den = 0;
    for (const n of names) {
      const v = value(n);
      if (v === null) continue;
      num += v * weight(n);
      den += weight(n);
    }
    return den > 0 ? num / den : Number.NaN;
  });
}

/** Square root of a ratio of sums per layer (how relative errors pool: ||ΔW|| / ||W|| over the layer). */
function pooledRatio(groups: readonly string[][], sqErr: (name: string) => number | null, sqNorm: (name: string) => number | null): Float64Array {
  return Float64Array.from(groups, (names) => {
    let e = 0;
    let n = 0;
    for (const name of names) {
      const a = sqErr(name);
      const b = sqNorm(name);
      if (a === null || b === null) continue;
      e += a;
      n += b;
    }
    return n > 0 ? Math.sqrt(e / n) : Number.NaN;
  });
}

/** Per-layer figures of an entry: its ExCP tensors and the parameters it stored losslessly, grouped into layers. */
export function compressionLayers(stats: EntryStats): CompressionLayers {
  const t = stats.tensors;
  const names = [...Object.keys(t), ...Object.keys(stats.lossless_params).filter((n) => !(n in t))];
  const layers = groupLayers(names.map((name) => ({ name, shape: [] })));
  const groups = layers.map((l) => l.tensors.map((x) => x.name).filter((n) => n in t));
  const numel = (n: string) => t[n]!.numel;
  return {
    ids: layers.map((l) => l.id),
    params: Float64Array.from(groups, (g) => g.reduce((s, n) => s + numel(n), 0)),
    // Kept counts per tensor: the layer's share is their sum over its elements.
    keptW: pooled(groups, (n) => t[n]!.kept_w / numel(n), numel),
    keptM: pooled(groups, (n) => (t[n]!.kept_m === null ? null : t[n]!.kept_m! / numel(n)), numel),
    relErrW: pooledRatio(groups, (n) => t[n]!.sq_err_w, (n) => t[n]!.sq_norm_w),
    updateRelErr: pooledRatio(groups, (n) => t[n]!.update_sq_err, (n) => t[n]!.update_sq_norm),
    lossless: Float64Array.from(layers, (l) => l.tensors.filter((x) => x.name in stats.lossless_params).length),
  };
}

function referenceText(r: EntryReference | null): string {
  if (r === null) return '';
  switch (r.kind) {
    case 'none':
      return 'none (the first entry)';
    case 'chain':
      return `the restored previous entry${r.step === null ? '' : ` (step ${r.step})`}`;
    case 'external':
      return `${labelOfPath(r.path)} (outside the archive: restore needs it)`;
  }
}

function paramsText(e: EntryFacts): string {
  if (e.mode === 'lossless') return 'lossless, bit-exact';
  const rc = e.stats.rate_control;
  const alpha = rc?.alpha ?? e.params.alpha;
  const text = describeChoice({ ...e.params, alpha });
  if (!rc) return text;
  const aim = rc.targetRatio !== undefined ? `ratio ${rc.targetRatio}×` : `weight error under ${rc.maxRelErr}`;
  return `${text} (α chosen for ${aim}${rc.met ? '' : ', not met'})`;
}

function entryView(e: EntryFacts): CompressionEntry {
  const s = e.stats;
  return {
    name: e.name,
    step: e.step,
    mode: e.mode,
    origBytes: s.orig_bytes,
    compressedBytes: e.compressedBytes,
    ratio: ratioOf(s.orig_bytes, e.compressedBytes),
    keptW: s.kept_w,
    keptM: s.kept_m,
    relErrW: s.rel_err_w,
    updateRelErr: s.update_rel_err,
    params: paramsText(e),
    reference: referenceText(e.reference),
    losslessParams: Object.entries(s.lossless_params).map(([name, reason]) => ({ name, reason })),
    layers: compressionLayers(s),
  };
}

function archiveRef(path: string) {
  return { path, label: basename(path) };
}

/** The report of the compress job that just wrote `summary.archive`. */
export function compressionFromSummary(args: PanelArgs['compression'], summary: CompressSummary): CompressionData {
  const { mode: _mode, ...params } = summary.params;
  return {
    type: 'compression/data',
    args,
    archive: archiveRef(summary.archive),
    source: 'job',
    origBytes: summary.orig_bytes,
    compressedBytes: summary.compressed_bytes,
    ratio: summary.ratio,
    seconds: summary.seconds,
    entries: summary.entries.map(({ step, name, mode, orig_bytes: _o, compressed_bytes, ratio: _r, ...stats }) =>
      entryView({ name, step, mode, compressedBytes: compressed_bytes, stats: { orig_bytes: _o, ...stats }, params, reference: null }),
    ),
  };
}

/** The report of an archive, from its entries' records. */
export function compressionFromArchive(args: PanelArgs['compression'], info: ArchiveInfoResult): CompressionData {
  const orig = info.entries.reduce((s, e) => s + e.stats.orig_bytes, 0);
  return {
    type: 'compression/data',
    args,
    archive: archiveRef(info.archive),
    source: 'archive',
    origBytes: orig,
    compressedBytes: info.bytes,
    ratio: ratioOf(orig, info.bytes),
    seconds: null,
    entries: info.entries.map((e) => entryView({ name: e.name, step: e.step, mode: e.mode, compressedBytes: e.bytes, stats: e.stats, params: e.params, reference: e.reference })),
  };
}
