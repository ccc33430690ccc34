// `ckpt-lens prune-plan PATH --target 0.5 [--criterion C] [--strategy S] [--json]` and
// `ckpt-lens prune PATH --plan plan.json -o OUT`.
import { readFile } from 'node:fs/promises';
import { planFromReport, type CheckpointPlan } from '../analysis/planFromReport.ts';
import type { PlanStrategy } from '../analysis/planTypes.ts';
import { pruneCheckpoint, type PlanFile } from '../analysis/prune.ts';
import type { Criterion } from '../analysis/reportTypes.ts';
import { openCheckpoint } from '../checkpoint/open.ts';
import { DEFAULT_ANALYSIS_OPTIONS } from '../analysis/analysisOptions.ts';
import { planStructured, type StructuredPlan } from '../analysis/structuredPlan.ts';
import { FormatError } from '../formats/types.ts';
import { analyzeReport, type AnalyzeArgs } from './analyze.ts';
import { UsageError } from './errors.ts';
import { formatBytes, formatCount, table } from './format.ts';

const CRITERIA: readonly Criterion[] = ['magnitude', 'taylor', 'obd', 'excp'];
const STRATEGIES: readonly PlanStrategy[] = ['error-optimal', 'uniform', 'owl'];

export function parseCriterion(v: unknown): Criterion {
  const c = (v ?? 'magnitude') as Criterion;
  if (!CRITERIA.includes(c)) throw new UsageError(`--criterion must be one of ${CRITERIA.join(', ')}`);
  return c;
}

export function parseStrategy(v: unknown): PlanStrategy {
  const s = (v ?? 'error-optimal') as PlanStrategy;
  if (!STRATEGIES.includes(s)) throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}`);
  return s;
}

export function parseTarget(v: unknown): number {
  const t = Number(v);
  if (v === undefined || !Number.isFinite(t) || t < 0 || t > 1) throw new UsageError('--target must be a sparsity between 0 and 1 (e.g. 0.5)');
  return t;
}

function planText(p: CheckpointPlan): string {
  const rows = p.layers.map((l) => [l.layer, formatCount(l.params), `${(100 * l.ratio).toFixed(1)}%`, formatCount(l.kept), l.relErr.toFixed(4), l.importanceRemovedFrac === null ? '-' : `${(100 * l.importanceRemovedFrac).toFixed(2)}%`]);
  return [
    `pruning plan: ${p.strategy}, criterion ${p.criterion}, target ${(100 * p.target).toFixed(1)}% of ${formatCount(p.paramsBefore)} parameters (${p.scope})`,
    '',
    table(['layer', 'params', 'ratio', 'kept', 'rel. error', 'importance removed'], rows, new Set([1, 2, 3, 4, 5])),
    '',
    `achieved sparsity ${(100 * p.achievedSparsity).toFixed(2)}%, total relative error ${p.relErr.toFixed(4)}${p.lowerBoundRelErr !== undefined ? ` (lower bound ${p.lowerBoundRelErr.toFixed(4)})` : ''}`,
    `bytes: dense ${formatBytes(p.bytes.denseBytes)} before and after; sparse with a bitmask ${formatBytes(p.bytes.sparseBitmaskBytes)}. ${p.bytes.note}`,
    ...p.messages.map((m) => `note: ${m}`),
  ].join('\n');
}

function structuredText(p: StructuredPlan): string {
  const rows = p.layers.map((l) => [
    l.layer,
    formatCount(l.params),
    `${(100 * l.ratio).toFixed(1)}%`,
    l.groups.map((g) => `${g.kind} ${g.removed.length}/${g.count}`).join(', '),
    l.relErr.toFixed(4),
    `${(100 * l.importanceRemovedFrac).toFixed(2)}%`,
  ]);
  return [
    `structured pruning plan: criterion ${p.criterion}, target ${(100 * p.target).toFixed(1)}% of ${formatCount(p.paramsBefore)} parameters (${p.scope})`,
    '',
    table(['layer', 'params', 'ratio', 'groups removed', 'rel. error', 'importance removed'], rows, new Set([1, 2, 4, 5])),
    '',
    `achieved sparsity ${(100 * p.achievedSparsity).toFixed(2)}%, total relative error ${p.relErr.toFixed(4)}; prune zeroes the groups (same shapes)`,
    ...p.messages.map((m) => `note: ${m}`),
  ].join('\n');
}

export async function runPrunePlan(a: AnalyzeArgs & { target: number; criterion: Criterion; strategy: PlanStrategy; structured: boolean }): Promise<string> {
  if (a.structured) {
    const ckpt = await openCheckpoint(a.path, { mapping: a.mapping });
    const plan = await planStructured(ckpt, { target: a.target, criterion: a.criterion, alpha: DEFAULT_ANALYSIS_OPTIONS.alpha });
    return a.json ? JSON.stringify(plan, null, 1) : structuredText(plan);
  }
  const report = await analyzeReport(a);
  const plan = planFromReport(report, { target: a.target, criterion: a.criterion, strategy: a.strategy });
  return a.json ? JSON.stringify({ ...plan, alpha: report.options.alpha }, null, 1) : planText(plan);
}

export async function runPrune(a: { path: string; plan: string; out: string; json: boolean; mapping?: string }): Promise<string> {
  let plan: PlanFile;
  try {
    plan = JSON.parse(await readFile(a.plan, 'utf8')) as PlanFile;
  } catch (e) {
    throw new FormatError(`cannot read the plan: ${(e as Error).message}`, a.plan);
  }
  if (!plan || typeof plan.tensors !== 'object' || !CRITERIA.includes(plan.criterion)) {
    throw new FormatError('not a pruning plan: expected {"criterion", "tensors": {name: ratio}} as `prune-plan --json` writes', a.plan);
  }
  if (plan.slices !== undefined && !(Array.isArray(plan.slices) && plan.slices.every(isSlice))) {
    throw new FormatError('"slices" must be a list of {tensor, axis: 0|1, start, end} as `prune-plan --structured --json` writes', a.plan);
  }
  for (const [name, r] of Object.entries(plan.tensors)) {
    if (typeof r !== 'number' || !(r >= 0 && r <= 1)) throw new FormatError(`ratio of '${name}' must be between 0 and 1`, a.plan);
  }
  const ckpt = await openCheckpoint(a.path, { mapping: a.mapping });
  const result = await pruneCheckpoint(ckpt, plan, a.out);
  if (a.json) return JSON.stringify(result, null, 1);
  const removed = result.tensors.reduce((s, t) => s + t.removed, 0);
  return `wrote ${result.output}: ${result.tensors.length} tensors pruned, ${formatCount(removed)} weights set to zero`;
}

function isSlice(s: unknown): boolean {
  const x = s as { tensor?: unknown; axis?: unknown; start?: unknown; end?: unknown };
  return !!x && typeof x.tensor === 'string' && (x.axis === 0 || x.axis === 1) && Number.isInteger(x.start) && Number.isInteger(x.end) && (x.start as number) >= 0 && (x.end as number) > (x.start as number);
}
