// Shapes of a pruning plan: what it is computed from (per-layer error curves) and what it reports.

/** One point of a layer's error curve (errorCurve.ts ErrorPoint qualifies). */
export interface CurvePoint {
  sparsity: number;
  sqErr: number;
  importanceRemoved: number;
}

export interface LayerCurveInput {
  layer: string;
  /** Prunable parameters; a point at sparsity p removes floor(p * params) of them (errorCurve.ts removedCount). */
  params: number;
  /** ||W||^2 of the layer's prunable weights. */
  sqNorm: number;
  /** Increasing sparsities; a missing 0 is taken as (0, 0, 0). The last point caps the layer's ratio. */
  curve: readonly CurvePoint[];
  /** Share of weights with |w| > M * mean|w| (OWL, M = 5); needed by the `owl` strategy. */
  outlierRatio?: number;
  /** Total importance of the layer; without it the removed fraction is reported as null. */
  importanceTotal?: number;
  /** Bytes per stored parameter (its dtype); default PlanOptions.bytesPerParam. */
  bytesPerParam?: number;
}

export type PlanStrategy = 'uniform' | 'error-optimal' | 'owl';

export interface PlanOptions {
  /** Global sparsity: fraction of all prunable parameters to remove, in [0, 1]. */
  target: number;
  /** Default 'error-optimal'. */
  strategy?: PlanStrategy;
  /** OWL's spread: ratios lie in [T - lambda, T + lambda]; default 0.08. */
  lambda?: number;
  /** User-fixed ratios by layer name; the other layers share what is left of the target. */
  overrides?: Readonly<Record<string, number>>;
  /** Bytes per parameter for layers that do not give theirs; default 4 (float32), flagged in the note. */
  bytesPerParam?: number;
}

export interface LayerPlan {
  layer: string;
  params: number;
  /** removed / params (0 for a layer without parameters). */
  ratio: number;
  removed: number;
  kept: number;
  sqErr: number;
  /** ||W - W_pruned|| / ||W||; 0 for a layer whose weights are all zero. */
  relErr: number;
  importanceRemoved: number;
  importanceRemovedFrac: number | null;
  /** Set by an override. */
  fixed: boolean;
  /** The count is one of the curve's points (its error is exact); otherwise interpolated between two. */
  onGrid: boolean;
}

/** Sizes, stated honestly: unstructured sparsity leaves a dense file just as large. */
export interface PlanBytes {
  denseBytes: number;
  /** Same as denseBytes: pruned weights are stored as zeros. */
  denseBytesAfter: number;
  /** Kept values plus one bit per parameter. */
  sparseBitmaskBytes: number;
  /** Kept values plus a 4-byte (int32) flat index each (COO-style; CSR would add row pointers). */
  sparseIndexBytes: number;
  note: string;
}

export interface PruningPlan {
  strategy: PlanStrategy;
  target: number;
  /** floor(target * paramsBefore): the removal count aimed at. */
  targetRemoved: number;
  /** The target was hit (to the element) and every override honoured. */
  feasible: boolean;
  /** Why not feasible, and any adjustment made (caps, fallbacks). */
  messages: string[];
  layers: LayerPlan[];
  paramsBefore: number;
  /** Non-zero parameters left. */
  paramsAfter: number;
  removed: number;
  achievedSparsity: number;
  sqErr: number;
  sqNorm: number;
  /** sqrt(sum sqErr / sum sqNorm) over the layers. */
  relErr: number;
  /** error-optimal only: the relative error of the convex-hull relaxation, a lower bound for any plan at this count. */
  lowerBoundRelErr?: number;
  bytes: PlanBytes;
}
