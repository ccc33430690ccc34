// The hover's Markdown for a tensor: header facts (always, from the checkpoint's header), then the
// analysis (statistics, sparkline, Adam moments and the zero-point effect, quantization error,
// outliers, the current pruning plan) once computed, and command links. Every string that comes from a
// file (names, paths, metadata) goes through escapeMarkdown; the rest are numbers we format.
import type { CheckpointPlan } from '../analysis/planFromReport.ts';
import type { QuantJson, StatsJson, TensorReport } from '../analysis/reportTypes.ts';
import type { CheckpointTensor } from '../checkpoint/model.ts';
import { formatBytes, formatCount } from '../cli/format.ts';
import { DTYPE_SIZE } from '../formats/dtype.ts';
import { HoverCommand, type TensorCommandArgs } from '../protocol.ts';
import type { HoverDetail } from '../settings.ts';
import { best4Bit } from './checkpointDiagnostics.ts';
import { commandLink, escapeMarkdown, formatNumber, formatPercent, sparkline } from './markdown.ts';
import type { IndexedCheckpoint } from './workspaceIndex.ts';

export type StatsState = { kind: 'ready'; report: TensorReport } | { kind: 'computing' } | { kind: 'failed'; message: string };

export interface TensorHoverInput {
  checkpoint: IndexedCheckpoint;
  tensor: CheckpointTensor;
  stats: StatsState;
  plan: CheckpointPlan | undefined;
  detail: HoverDetail;
}

/** The status line a hover shows while the statistics are computed in the background. */
export const COMPUTING = '_statistics: computing…_';

function checkpointLabel(ck: IndexedCheckpoint): string {
  return `${escapeMarkdown(ck.entry.label)}${ck.entry.step !== null ? ` (step ${ck.entry.step})` : ''}`;
}

export function headerLines(ck: IndexedCheckpoint, t: CheckpointTensor): string[] {
  const moments = (['exp_avg', 'exp_avg_sq'] as const).filter((m) => t.moments[m]);
  const facts = [
    `\`${t.dtype}\``,
    `shape [${t.shape.join(', ')}]`,
    `${formatCount(t.numel)} params`,
    formatBytes(t.numel * DTYPE_SIZE[t.dtype]),
    `layer ${escapeMarkdown(ck.layerOf.get(t.name) ?? '?')}`,
  ];
  const lines = [`**${escapeMarkdown(t.name)}**`, '', `${facts.join(' · ')}  `, `${checkpointLabel(ck)}${moments.length > 0 ? ` · moments: ${moments.map((m) => `\`${m}\``).join(', ')}` : ''}`];
  const meta = Object.entries(ck.checkpoint?.metadata ?? {}).slice(0, 3);
  if (meta.length > 0) lines.push('', `metadata: ${meta.map(([k, v]) => `${escapeMarkdown(k, 40)} = ${escapeMarkdown(String(v), 60)}`).join(', ')}`);
  return lines;
}

function statsRow(label: string, s: StatsJson): string {
  return `| ${label} | ${[s.mean, s.std, s.min, s.max, s.absmax].map(formatNumber).join(' | ')} |`;
}

function statsTable(r: TensorReport, withMoments: boolean): string[] {
  const rows = [statsRow('weight', r.weight)];
  if (withMoments && r.exp_avg) rows.push(statsRow('exp_avg', r.exp_avg));
  if (withMoments && r.exp_avg_sq) rows.push(statsRow('exp_avg_sq', r.exp_avg_sq));
  if (withMoments && r.residual) rows.push(statsRow('residual', r.residual));
  return ['| | mean | std | min | max | absmax |', '|---|---:|---:|---:|---:|---:|', ...rows];
}

function valuesLine(r: TensorReport): string {
  const w = r.weight;
  const parts = [`sparsity ${formatPercent(w.numel > 0 ? w.zeros / w.numel : 0)} (${formatCount(w.zeros)} zeros)`];
  if (w.nan > 0 || w.inf > 0) parts.push(`**${formatCount(w.nan)} NaN, ${formatCount(w.inf)} Inf**`);
  return parts.join(' · ');
}

function sparklineLine(r: TensorReport): string | null {
  const h = r.histograms.weight;
  if (!h) return null;
  return `\`${sparkline(h.counts)}\` ${formatNumber(h.edges[0]!)} … ${formatNumber(h.edges[h.edges.length - 1]!)}`;
}

function momentsLine(r: TensorReport): string | null {
  const z = r.zero_point;
  if (!z) return null;
  const w = z.with_zero;
  const wo = z.without_zero;
  return (
    `**Adam** exp_avg_sq: a 4-bit codebook with zero (${escapeMarkdown(w.scheme)}) sends ${formatPercent(w.zero_frac)} of it to zero ` +
    `(update error ${formatNumber(w.update_rel_err)}); without zero (${escapeMarkdown(wo.scheme)}): ${formatPercent(wo.zero_frac)} (${formatNumber(wo.update_rel_err)})`
  );
}

function quant(r: TensorReport, key: string): QuantJson | undefined {
  const q = r[key] as QuantJson | undefined;
  return q && typeof q.rel_err === 'number' ? q : undefined;
}

function quantLine(r: TensorReport): string | null {
  const parts: string[] = [];
  const int8 = quant(r, 'weight_b128_lin8');
  if (int8) parts.push(`int8 ${formatPercent(int8.rel_err)}`);
  const int4 = best4Bit(r);
  if (int4) parts.push(`int4 ${formatPercent(int4.rel_err)} (${escapeMarkdown(int4.label)})`);
  const m4 = quant(r, 'exp_avg_b128_de4');
  if (m4) parts.push(`exp_avg 4-bit ${formatPercent(m4.rel_err)}`);
  const v4 = quant(r, 'exp_avg_sq_b128_de0_4');
  if (v4) parts.push(`exp_avg_sq 4-bit DE-0 ${formatPercent(v4.rel_err)}`);
  return parts.length > 0 ? `**Quantization** (relative error, block 128): ${parts.join(' · ')}` : null;
}

function outlierSide(label: string, indices: number[], values: number[], median: number): string {
  const top = indices.map((i, j) => [i, values[j]!] as const).sort((a, b) => b[1] - a[1]).slice(0, 3);
  const shown = top.map(([i, v]) => `${i}${median > 0 ? ` (${formatNumber(v / median)}×)` : ''}`).join(', ');
  return `${indices.length} ${label}: ${shown}${indices.length > 3 ? ', …' : ''}`;
}

function outliersLine(r: TensorReport): string | null {
  const o = r.outliers;
  if (!o) return null;
  if (o.pattern === 'none') return `**Outliers** (k = ${formatNumber(o.k)}): none`;
  const sides = [
    o.rows.indices.length > 0 ? outlierSide('rows', o.rows.indices, o.rows.values, o.rows.median) : '',
    o.cols.indices.length > 0 ? outlierSide('columns', o.cols.indices, o.cols.values, o.cols.median) : '',
  ].filter(Boolean);
  return `**Outliers** (k = ${formatNumber(o.k)}, ${o.pattern}): ${sides.join(' · ')}`;
}

function planLine(name: string, plan: CheckpointPlan | undefined): string | null {
  if (!plan) return null;
  const ratio = plan.tensors[name];
  const head = `**Pruning plan** (${plan.criterion}, ${plan.strategy}, target ${formatPercent(plan.target, 1)})`;
  return ratio === undefined ? `${head}: not pruned (outside the plan's scope)` : `${head}: ${formatPercent(ratio, 1)} of this tensor`;
}

function links(ck: IndexedCheckpoint, t: CheckpointTensor, hasMoments: boolean): string {
  const args: TensorCommandArgs = { checkpoint: ck.entry.path, tensor: t.name };
  const out = [commandLink('Open in report', HoverCommand.openReport, args), commandLink('Histograms', HoverCommand.showHistogram, args)];
  if (hasMoments) out.push(commandLink('Zero-point effect', HoverCommand.showZeroPoint, args));
  return out.join(' · ');
}

export function renderTensorHover(input: TensorHoverInput): string {
  const { checkpoint: ck, tensor: t, stats, detail } = input;
  const lines = headerLines(ck, t);
  lines.push('');
  if (stats.kind === 'computing') lines.push(COMPUTING);
  else if (stats.kind === 'failed') lines.push(`_statistics unavailable: ${escapeMarkdown(stats.message)}_`);
  else {
    const r = stats.report;
    const full = detail === 'full';
    lines.push(...statsTable(r, full), '', valuesLine(r));
    const spark = sparklineLine(r);
    if (spark) lines.push('', spark);
    if (full) for (const l of [momentsLine(r), quantLine(r), outliersLine(r)]) if (l) lines.push('', l);
  }
  const plan = planLine(t.name, input.plan);
  if (plan) lines.push('', plan);
  lines.push('', links(ck, t, t.moments.exp_avg_sq !== undefined));
  return lines.join('\n');
}

/** Several tensors match (a partial name): one line each, up to `max`. */
export function renderMatchList(items: Array<{ checkpoint: IndexedCheckpoint; tensor: CheckpointTensor; report?: TensorReport }>, word: string, max = 12): string {
  const lines = [`**${escapeMarkdown(word)}** matches ${items.length} tensors`, ''];
  for (const { checkpoint: ck, tensor: t, report } of items.slice(0, max)) {
    const stats = report ? ` · mean ${formatNumber(report.weight.mean)}, std ${formatNumber(report.weight.std)}` : '';
    lines.push(`- ${escapeMarkdown(t.name)} — \`${t.dtype}\` [${t.shape.join(', ')}]${stats} · ${escapeMarkdown(ck.entry.label)}`);
  }
  if (items.length > max) lines.push(`- … and ${items.length - max} more`);
  return lines.join('\n');
}
