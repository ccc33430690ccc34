// `ckpt-lens analyze PATH [--ref PATH] [--backend B] [--json] [--tensor NAME]...`
import { openCheckpoint } from '../checkpoint/open.ts';
import { analyzeCheckpoint } from '../analysis/analyzeCheckpoint.ts';
import { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions } from '../analysis/analysisOptions.ts';
import { cacheKey, defaultCacheDir, readCached, writeCached } from '../analysis/reportCache.ts';
import type { AnalysisReport, QuantJson } from '../analysis/reportTypes.ts';
import type { BackendChoice } from '../../../kernels/src/index.ts';
import { openBackend } from './backend.ts';
import { formatCount, table } from './format.ts';
import { progressBar } from './progress.ts';

export interface AnalyzeArgs {
  path: string;
  ref?: string;
  backend: BackendChoice;
  json: boolean;
  tensors?: string[];
  outlierK?: number;
  noCache: boolean;
  cacheDir?: string;
  mapping?: string;
}

/** Analyses (or fetches from the cache) and returns the report. */
export async function analyzeReport(a: AnalyzeArgs): Promise<AnalysisReport> {
  const checkpoint = await openCheckpoint(a.path, { mapping: a.mapping });
  const reference = a.ref ? await openCheckpoint(a.ref) : undefined;
  const options: Partial<AnalysisOptions> = {
    ...(a.outlierK !== undefined ? { outlierK: a.outlierK } : {}),
    ...(a.tensors ? { profiles: true } : {}),
  };
  const dir = a.cacheDir ?? defaultCacheDir();
  const key = await cacheKey({ checkpoint, reference, options: { ...DEFAULT_ANALYSIS_OPTIONS, ...options, only: a.tensors ?? null }, backend: a.backend });
  if (!a.noCache) {
    const hit = await readCached(dir, key);
    if (hit) return hit;
  }
  const { backend, description } = await openBackend(a.backend);
  const bar = progressBar('analyze');
  try {
    const report = await analyzeCheckpoint({ backend, checkpoint, reference, options, only: a.tensors, onProgress: (d, t, n) => bar.update(d, t, n) }, description);
    if (!a.noCache) await writeCached(dir, key, report).catch(() => {});
    return report;
  } finally {
    bar.done();
    await backend.dispose();
  }
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);

export function analyzeText(r: AnalysisReport): string {
  const rows = r.layers.map((l) => [
    l.id,
    formatCount(l.params),
    pct(l.quant.weight_b128_lin8),
    pct(l.quant.weight_b128_de4),
    pct(l.quant.exp_avg_b128_de4),
    pct(l.quant.exp_avg_sq_b128_de4),
    pct(l.quant.exp_avg_sq_rank1_lin0_4),
    `${l.outliers.rows}/${l.outliers.cols}`,
    l.suggested_ratio === null ? '-' : pct(l.suggested_ratio),
  ]);
  const header = ['layer', 'params', 'w int8 B128', 'w int4 DE B128', 'm 4b DE B128', 'v 4b DE (0) B128', 'v 4b rank-1', 'outl. r/c', 'prune @50%'];
  const zp = Object.values(r.tensors)
    .filter((t) => t.exp_avg_sq_b128_de4 && t.exp_avg_sq_b128_de0_4)
    .map((t) => [t.name, (t.exp_avg_sq_b128_de4 as QuantJson).update_rel_err, (t.exp_avg_sq_b128_de0_4 as QuantJson).update_rel_err] as const)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .slice(0, 5);
  const plan = r.model.default_plan;
  return [
    `${r.path}  (${r.format}${r.step !== null ? `, step ${r.step}` : ''}; ${r.architecture.family}, ${r.architecture.confidence} confidence)`,
    `compute: ${r.backend}`,
    '',
    'relative quantization error (rel_err) by layer, parameter-weighted:',
    table(header, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8])),
    '',
    ...(zp.length > 0
      ? ['zero-point effect, worst tensors (update_rel_err of h(v) = 1/(sqrt(v)+1e-6), 4-bit DE B128 with zero vs DE-0):', ...zp.map(([n, a, b]) => `  ${n}: ${a?.toFixed(3)} with zero, ${b?.toFixed(3)} without`), '']
      : []),
    plan
      ? `pruning plan (magnitude, error-optimal, 50% of ${formatCount(plan.paramsBefore)} block weights): total rel. error ${plan.relErr.toFixed(4)}; ${plan.bytes.note}`
      : 'pruning plan: no prunable weight matrices',
    `total: ${formatCount(r.model.tensors)} tensors, ${formatCount(r.model.params)} parameters`,
  ].join('\n');
}

export async function runAnalyze(a: AnalyzeArgs): Promise<string> {
  const r = await analyzeReport(a);
  return a.json ? JSON.stringify(r, null, 1) : analyzeText(r);
}
