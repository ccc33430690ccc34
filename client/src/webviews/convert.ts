// From the language server's JSON results (server/src/protocol.ts, analysis/reportTypes.ts) to the
// webview protocol's shapes: numeric arrays become typed arrays, rows keep only what the views show.
// Pure functions without VS Code, so the webview tests feed real analysis results through them.
// Pruning plans: convertPlan.ts; compression summaries: convertCompression.ts.
import type { HistogramJson, LayerReport, OutliersJson, QuantJson, StatsJson, TensorReport, ZeroPointJson, ZeroPointSide } from '../../../server/src/analysis/reportTypes.ts';
import type { CheckpointEntry, LayerReportResult, TensorSummaryResult } from '../../../server/src/protocol.ts';
import type {
  CheckpointRef,
  HistogramData,
  LayerSeries,
  OutliersData,
  PanelArgs,
  ReportData,
  ReportDetails,
  SchemeInfo,
  StatsView,
  TensorRow,
  ZeroPointData,
  ZeroPointSideView,
} from '../../../webview/src/protocol.ts';

export function histogramData(h: HistogramJson): HistogramData {
  return {
    scale: h.scale,
    transform: h.transform,
    edges: Float64Array.from(h.edges),
    counts: Float64Array.from(h.counts),
    below: h.below,
    above: h.above,
    zeros: h.zeros,
    nan: h.nan,
    total: h.total,
  };
}

export function checkpointRef(e: Pick<CheckpointEntry, 'path' | 'label'>): CheckpointRef {
  return { path: e.path, label: e.label };
}

/** A readable name for a path the index does not list: its last two segments. */
export function labelOfPath(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).slice(-2).join('/') || path;
}

const CODEBOOK_NAMES: Record<string, string> = { lin: 'linear', de: 'DE' };

/**
 * Groups and labels a quantization scheme key (quantSchemes.ts): weights group by block size,
 * moments by tensor; e.g. weight_b128_lin4 → "weight B128" / "linear 4-bit",
 * exp_avg_sq_b128_de0_4 → "exp_avg_sq" / "B128 DE 4-bit, no zero".
 */
export function schemeInfo(key: string): SchemeInfo {
  const m = /^(weight|exp_avg_sq|exp_avg)_(.+)$/.exec(key);
  if (!m) return { key, group: 'other', label: key };
  const target = m[1]!;
  const rest = m[2]!;
  if (rest === 'factored') return { key, group: target, label: 'factorized (Adafactor)' };
  const n = /^(?:b(\d+)|(rank1))_(lin|de)(0_)?(\d+)$/.exec(rest);
  if (!n) return { key, group: target, label: rest };
  const [, block, rank1, codebook, noZero, bits] = n;
  const norm = rank1 ? 'rank-1' : `B${block}`;
  // Only the unsigned second-moment codebooks differ by holding a zero (the zero-point effect).
  const zero = target === 'exp_avg_sq' ? (noZero ? ', no zero' : ', with zero') : '';
  const name = `${CODEBOOK_NAMES[codebook!]} ${bits}-bit${zero}`;
  return target === 'weight' && !rank1 ? { key, group: `weight ${norm}`, label: name } : { key, group: target, label: `${norm} ${name}` };
}

/** The schemes in the order the analysis measured them (model totals first, then any a layer adds). */
export function schemesOf(r: Pick<LayerReportResult, 'layers' | 'model'>): SchemeInfo[] {
  const keys = new Set(Object.keys(r.model.quant));
  for (const l of r.layers) for (const k of Object.keys(l.quant)) keys.add(k);
  return [...keys].map(schemeInfo);
}

/** Default table column and chart group: 4-bit linear weights at block 128 when measured. */
function defaults(schemes: SchemeInfo[]): ReportData['defaults'] {
  const s = schemes.find((x) => x.key === 'weight_b128_lin4') ?? schemes[0];
  return { scheme: s?.key ?? null, group: s?.group ?? null };
}

function isPrunable(t: TensorReport, layer: LayerReport | undefined): boolean {
  return layer?.kind === 'block' && t.shape.length >= 2 && t.pruning !== undefined;
}

export function tensorRow(t: TensorReport, layer: LayerReport | undefined, schemes: readonly SchemeInfo[]): TensorRow {
  const quantErr = new Float64Array(schemes.length);
  schemes.forEach((s, i) => {
    const q = t[s.key] as QuantJson | undefined;
    quantErr[i] = q && typeof q.rel_err === 'number' ? q.rel_err : Number.NaN;
  });
  return {
    name: t.name,
    layer: t.layer,
    shape: t.shape,
    dtype: t.dtype,
    numel: t.numel,
    mean: t.weight.mean,
    std: t.weight.std,
    absmax: t.weight.absmax,
    sparsity: t.weight.numel > 0 ? t.weight.zeros / t.weight.numel : 0,
    quantErr,
    outlier: t.outliers?.pattern ?? null,
    outlierRows: t.outliers?.rows.indices.length ?? 0,
    outlierCols: t.outliers?.cols.indices.length ?? 0,
    suggestedRatio: isPrunable(t, layer) ? (layer!.suggested_ratio ?? null) : null,
    hasMoments: t.exp_avg_sq !== undefined,
  };
}

export function layerSeries(layers: readonly LayerReport[], schemes: readonly SchemeInfo[]): LayerSeries {
  const series = (f: (l: LayerReport) => number | null | undefined) => Float64Array.from(layers, (l) => f(l) ?? Number.NaN);
  return {
    ids: layers.map((l) => l.id),
    params: series((l) => l.params),
    suggestedRatio: series((l) => l.suggested_ratio),
    outlierRows: series((l) => l.outliers.rows),
    outlierCols: series((l) => l.outliers.cols),
    quant: schemes.map((s) => series((l) => l.quant[s.key])),
  };
}

/** The report view's data from checkpointLens/layerReport and the tensors' reports (checkpointLens/tensorSummary). */
export function reportData(args: PanelArgs['report'], checkpoint: CheckpointRef, layers: LayerReportResult, tensors: readonly TensorReport[], reference: string | null): ReportData {
  const schemes = schemesOf(layers);
  const layerById = new Map(layers.layers.map((l) => [l.id, l]));
  const a = layers.architecture;
  return {
    type: 'report/data',
    args,
    checkpoint,
    reference,
    architecture: a.family === 'unknown' ? 'architecture not recognised' : `${a.family} (${a.confidence} confidence)`,
    model: { tensors: layers.model.tensors, params: layers.model.params, bytes: layers.model.bytes },
    schemes,
    defaults: defaults(schemes),
    rows: tensors.map((t) => tensorRow(t, layerById.get(t.layer), schemes)),
    layers: layerSeries(layers.layers, schemes),
  };
}

function statsView(label: string, s: StatsJson): StatsView {
  return { label, mean: s.mean, std: s.std, min: s.min, max: s.max, absmax: s.absmax, zeros: s.zeros, nonfinite: s.nan + s.inf };
}

export function reportDetails(s: TensorSummaryResult): ReportDetails {
  const r = s.report;
  const stats: StatsView[] = [];
  if (r) for (const k of ['weight', 'exp_avg', 'exp_avg_sq', 'residual'] as const) if (r[k]) stats.push(statsView(k, r[k]!));
  return {
    type: 'report/details',
    tensor: s.header.name,
    shape: s.header.shape,
    dtype: s.header.dtype,
    layer: s.header.layer,
    stats,
    weight: r?.histograms.weight ? histogramData(r.histograms.weight) : null,
    update: r?.histograms.update ? histogramData(r.histograms.update) : null,
    planRatio: s.planRatio,
  };
}

function zeroSide(s: ZeroPointSide): ZeroPointSideView {
  return { histogram: histogramData(s.histogram), zeroFrac: s.zero_frac, updateRelErr: s.update_rel_err, scheme: s.scheme };
}

export function zeroPointData(requestId: number, tensor: string, z: ZeroPointJson): ZeroPointData {
  return { type: 'zeroPoint/data', requestId, tensor, original: zeroSide(z.original), withZero: zeroSide(z.with_zero), withoutZero: zeroSide(z.without_zero) };
}

/** The outlier view's data from checkpointLens/outlierProfile (asked for with its profiles). */
export function outliersData(requestId: number, tensor: string, o: OutliersJson): OutliersData {
  if (!o.row_max_abs || !o.col_max_abs) throw new Error(`the outlier profile of '${tensor}' came without its row and column profiles`);
  return {
    type: 'outliers/data',
    requestId,
    tensor,
    k: o.k,
    view: o.view,
    pattern: o.pattern,
    rows: { maxAbs: Float32Array.from(o.row_max_abs), indices: Uint32Array.from(o.rows.indices), median: o.rows.median },
    cols: { maxAbs: Float32Array.from(o.col_max_abs), indices: Uint32Array.from(o.cols.indices), median: o.cols.median },
  };
}

export { planView } from './convertPlan.ts';
