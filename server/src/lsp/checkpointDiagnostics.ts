// What is wrong with a checkpoint, as diagnostics-to-be (file + tensor + message), before positions are
// known: errors for checkpoints that cannot be read, warnings from the headers (moments that do not line
// up) and, once the checkpoint is analysed, from its values (NaN/Inf, all zeros, impossible second
// moments, extreme outliers, high 4-bit quantization error; thresholds from the settings).
import type { AnalysisReport, QuantJson, StatsJson, TensorReport } from '../analysis/reportTypes.ts';
import type { ServerSettings } from '../settings.ts';
import { formatNumber } from './markdown.ts';
import type { IndexedCheckpoint } from './workspaceIndex.ts';

export interface Finding {
  severity: 'error' | 'warning';
  /** the file the finding is about (a diagnostic lands there, or on the checkpoint's shard index) */
  file: string;
  /** the tensor it is about, to place it on the tensor's key in an index */
  tensor?: string;
  /** where the moments live: findings about moments go to the optimizer file when there is one */
  aboutMoments?: boolean;
  message: string;
}

/** Findings per checkpoint are capped so a broken model cannot flood the Problems view. */
export const MAX_FINDINGS_PER_CHECKPOINT = 200;

function nonFinite(s: StatsJson): string | null {
  if (s.nan === 0 && s.inf === 0) return null;
  return [s.nan > 0 ? `${s.nan} NaN` : '', s.inf > 0 ? `${s.inf} Inf` : ''].filter(Boolean).join(' and ');
}

/** The best 4-bit block-128 weight scheme: a high error there means 4 bits do not suit this tensor. */
export function best4Bit(t: TensorReport): QuantJson | undefined {
  const candidates = [t.weight_b128_lin4, t.weight_b128_de4].filter((q): q is QuantJson => q !== undefined && typeof (q as QuantJson).rel_err === 'number');
  return candidates.sort((a, b) => a.rel_err - b.rel_err)[0];
}

function describeSide(side: 'rows' | 'columns', indices: number[], values: number[], median: number): string {
  const top = indices.map((i, j) => [i, values[j]!] as const).sort((a, b) => b[1] - a[1]).slice(0, 3);
  const ratio = median > 0 ? ` (up to ${formatNumber(top[0]![1] / median)}x the median max-abs)` : '';
  return `${indices.length} outlier ${side} ${top.map(([i]) => i).join(', ')}${indices.length > 3 ? ', ...' : ''}${ratio}`;
}

function tensorFindings(t: TensorReport, file: string, settings: ServerSettings): Finding[] {
  const out: Finding[] = [];
  const warn = (message: string, aboutMoments = false) => out.push({ severity: 'warning', file, tensor: t.name, aboutMoments, message: `${t.name}: ${message}` });
  const bad = nonFinite(t.weight);
  if (bad) warn(`${bad} values`);
  if (t.numel > 0 && t.weight.zeros === t.numel) warn(`all ${t.numel} values are zero`);
  for (const m of ['exp_avg', 'exp_avg_sq'] as const) {
    const s = t[m];
    const badM = s && nonFinite(s);
    if (badM) warn(`${m} has ${badM} values`, true);
  }
  if (t.exp_avg_sq && t.exp_avg_sq.min < 0) {
    warn(`exp_avg_sq has negative values (min ${formatNumber(t.exp_avg_sq.min)}): second moments cannot be negative, so the optimizer state does not line up with this parameter`, true);
  }
  const o = t.outliers;
  if (o && o.pattern !== 'none') {
    const sides = [
      o.rows.indices.length > 0 ? describeSide('rows', o.rows.indices, o.rows.values, o.rows.median) : '',
      o.cols.indices.length > 0 ? describeSide('columns', o.cols.indices, o.cols.values, o.cols.median) : '',
    ].filter(Boolean);
    warn(`extreme outliers (k = ${o.k}): ${sides.join('; ')}`);
  }
  const q = best4Bit(t);
  if (q && q.rel_err > settings.diagnostics.quant4RelErr) {
    warn(`high 4-bit quantization error: relative error ${formatNumber(q.rel_err)} with ${q.label} (threshold ${formatNumber(settings.diagnostics.quant4RelErr)})`);
  }
  return out;
}

export function checkpointFindings(ck: IndexedCheckpoint, report: AnalysisReport | undefined, settings: ServerSettings): Finding[] {
  if (ck.entry.error !== null) {
    const at = ck.errorFile ?? ck.entry.path;
    return [{ severity: 'error', file: at, ...(ck.errorTensor !== null ? { tensor: ck.errorTensor } : {}), message: `checkpoint cannot be read: ${ck.entry.error}` }];
  }
  const c = ck.checkpoint;
  if (!c) return [];
  const out: Finding[] = [];
  if (c.optimizer && c.optimizer.matched < c.tensors.length) {
    const missing = c.tensors.filter((t) => !t.moments.exp_avg && !t.moments.exp_avg_sq).map((t) => t.name);
    out.push({
      severity: 'warning',
      file: c.optimizer.source,
      message: `optimizer state covers ${c.optimizer.matched} of ${c.tensors.length} parameters; without moments: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? `, ... (${missing.length})` : ''}`,
    });
  }
  if (report) {
    for (const t of c.tensors) {
      const r = report.tensors[t.name];
      if (r) out.push(...tensorFindings(r, t.file, settings).map((f) => (f.aboutMoments && c.optimizer ? { ...f, file: c.optimizer.source } : f)));
    }
  }
  return out.slice(0, MAX_FINDINGS_PER_CHECKPOINT);
}
