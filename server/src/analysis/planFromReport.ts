// Pruning plans from an analysis report: per-layer error curves are the sums of their tensors'
// curves (each tensor pruned at the layer's ratio by its own threshold), so a plan is recomputed
// from the report alone, fast enough to follow a slider.
import type { LayerCurveInput, PlanStrategy, PruningPlan } from './planTypes.ts';
import { planPruning, preparePlan, type PreparedPlan } from './pruningPlan.ts';
import type { AnalysisReport, Criterion, TensorReport } from './reportTypes.ts';

export interface PlanRequest {
  /** global sparsity of the prunable weights, 0..1 */
  target: number;
  criterion: Criterion;
  strategy: PlanStrategy;
  /** user-fixed ratios by layer id */
  overrides?: Record<string, number>;
}

export interface CheckpointPlan extends PruningPlan {
  criterion: Criterion;
  /** the ratio each prunable tensor gets (its layer's) */
  tensors: Record<string, number>;
  /** which tensors are pruned: the weight matrices inside numbered blocks */
  scope: string;
}

const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1 };

/** Prunable: weight matrices (rank >= 2) inside numbered blocks; embeddings, heads and norms are kept. */
export function isPrunable(t: TensorReport, layerKind: string | undefined): boolean {
  return layerKind === 'block' && t.shape.length >= 2 && t.pruning !== undefined;
}

export function layerCurves(report: AnalysisReport, criterion: Criterion): { curves: LayerCurveInput[]; members: Map<string, string[]> } {
  const kindOf = new Map(report.layers.map((l) => [l.id, l.kind]));
  const byLayer = new Map<string, TensorReport[]>();
  for (const t of Object.values(report.tensors)) {
    if (!isPrunable(t, kindOf.get(t.layer)) || !t.pruning!.curves[criterion]) continue;
    const list = byLayer.get(t.layer) ?? [];
    list.push(t);
    byLayer.set(t.layer, list);
  }
  const curves: LayerCurveInput[] = [];
  const members = new Map<string, string[]>();
  for (const [layer, tensors] of byLayer) {
    const first = tensors[0]!.pruning!.curves[criterion]!;
    const curve = first.sparsity.map((sparsity, i) => {
      let sqErr = 0;
      let importanceRemoved = 0;
      for (const t of tensors) {
        const c = t.pruning!.curves[criterion]!;
        sqErr += c.sq_err[i]!;
        importanceRemoved += c.importance_removed[i]! * c.importance_total;
      }
      return { sparsity, sqErr, importanceRemoved };
    });
    const params = tensors.reduce((s, t) => s + t.numel, 0);
    curves.push({
      layer,
      params,
      sqNorm: tensors.reduce((s, t) => s + t.pruning!.curves[criterion]!.sq_norm, 0),
      curve,
      outlierRatio: tensors.reduce((s, t) => s + t.pruning!.owl_outlier_ratio * t.numel, 0) / Math.max(1, params),
      importanceTotal: tensors.reduce((s, t) => s + t.pruning!.curves[criterion]!.importance_total, 0),
      bytesPerParam: DTYPE_BYTES[tensors[0]!.dtype] ?? 4,
    });
    members.set(layer, tensors.map((t) => t.name));
  }
  return { curves, members };
}

/** Plans for one report and criterion, with the curves prepared once (the slider path). */
export class Planner {
  private readonly prepared: PreparedPlan;
  private readonly members: Map<string, string[]>;

  constructor(report: AnalysisReport, readonly criterion: Criterion) {
    const { curves, members } = layerCurves(report, criterion);
    if (curves.length === 0) throw new Error(`no prunable tensors support the ${criterion} criterion (it needs ${criterion === 'taylor' ? 'exp_avg' : criterion === 'magnitude' ? 'weight matrices' : 'exp_avg_sq'})`);
    this.prepared = preparePlan(curves);
    this.members = members;
  }

  plan(request: Omit<PlanRequest, 'criterion'>): CheckpointPlan {
    const p = planPruning(this.prepared, { target: request.target, strategy: request.strategy, overrides: request.overrides });
    const tensors: Record<string, number> = {};
    for (const l of p.layers) for (const name of this.members.get(l.layer) ?? []) tensors[name] = l.ratio;
    return { ...p, criterion: this.criterion, tensors, scope: 'weight matrices inside numbered blocks (embeddings, head and norms are not pruned)' };
  }
}

export function planFromReport(report: AnalysisReport, request: PlanRequest): CheckpointPlan {
  return new Planner(report, request.criterion).plan(request);
}
