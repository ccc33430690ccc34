// The JSON shapes of analysis results: what `ckpt-lens analyze --json` prints and the language
// server carries. Keys that the PyTorch reference files define keep their names and meaning.
import type { Histogram, Stats } from '../../../kernels/src/index.ts';
import type { QuantErrorResult } from '../../../kernels/src/cpu/quantError.ts';
import type { OutlierPattern } from '../../../kernels/src/cpu/profiles.ts';
import type { PruningPlan } from './planTypes.ts';

export type StatsJson = Omit<Stats, 'sum' | 'sumsq'>;

export interface HistogramJson {
  scale: 'linear' | 'log10abs';
  transform: 'none' | 'adam-update';
  /** bins + 1 edges (log10 units for 'log10abs') */
  edges: number[];
  counts: number[];
  below: number;
  above: number;
  zeros: number;
  nan: number;
  total: number;
}

export type QuantJson = Omit<QuantErrorResult, 'count' | 'nonfinite'> & { label: string };

export interface OutlierSideJson {
  /** outlier indices (all of them, ascending) */
  indices: number[];
  median: number;
  /** max-abs of each outlier, in the same order */
  values: number[];
}

export interface OutliersJson {
  k: number;
  /** the 2-D view [rows, cols] the profiles describe */
  view: [number, number];
  pattern: OutlierPattern;
  rows: OutlierSideJson;
  cols: OutlierSideJson;
  /** present when profiles were asked for (--tensor, or the protocol's outlier request) */
  row_max_abs?: number[];
  col_max_abs?: number[];
}

export interface CurveJson {
  /** sparsity grid */
  sparsity: number[];
  /** ||W||^2 and the squared error removed at each sparsity (float64), so plans can be built from the JSON */
  sq_norm: number;
  sq_err: number[];
  /** relative reconstruction error ||W - W_pruned|| / ||W|| at each sparsity */
  rel_err: number[];
  /** share of the criterion's importance removed at each sparsity, and the total importance */
  importance_removed: number[];
  importance_total: number;
}

export type Criterion = 'magnitude' | 'taylor' | 'obd' | 'excp';

export interface PruningJson {
  curves: Partial<Record<Criterion, CurveJson>>;
  /** semi-structured 2:4 along the input dimension, by magnitude */
  nm_2_4: { kept: number; total: number; rel_err: number };
  /** share of |w| above OWL_M times the tensor's mean |w| (OWL's layer outlier ratio) */
  owl_outlier_ratio: number;
}

export interface ZeroPointSide {
  histogram: HistogramJson;
  /** share of v quantized to exactly 0 (0 for the original) */
  zero_frac: number;
  /** ||h(v) - h(v_hat)|| / ||h(v)|| (0 for the original) */
  update_rel_err: number;
  scheme: string;
}

export interface ZeroPointJson {
  original: ZeroPointSide;
  with_zero: ZeroPointSide;
  without_zero: ZeroPointSide;
}

/** One tensor's analysis. Every quantization scheme is a top-level key (see quantSchemes.ts). */
export interface TensorReport {
  name: string;
  dtype: string;
  shape: number[];
  numel: number;
  /** the layer id (see layers.ts) */
  layer: string;
  weight: StatsJson;
  exp_avg?: StatsJson;
  exp_avg_sq?: StatsJson;
  /** W - R against the reference checkpoint */
  residual?: StatsJson;
  histograms: Partial<Record<'weight' | 'weight_log' | 'residual' | 'exp_avg' | 'exp_avg_sq' | 'update', HistogramJson>>;
  zero_point?: ZeroPointJson;
  outliers?: OutliersJson;
  pruning?: PruningJson;
  excp_default?: { kept_w: number; kept_m: number | null; threshold_w: number; alpha: number; beta: number; criterion: 'second-moment' | 'magnitude' };
  [scheme: string]: unknown;
}

export interface LayerReport {
  id: string;
  kind: string;
  index: number | null;
  tensors: string[];
  params: number;
  /** parameter-weighted mean rel_err per quantization scheme, over the layer's tensors that have it */
  quant: Record<string, number>;
  outliers: { rows: number; cols: number; tensors_with_outliers: number };
  /** the ratio this layer gets in the default plan (error-optimal, magnitude, 50%) */
  suggested_ratio: number | null;
}

export interface AnalysisReport {
  path: string;
  format: string;
  step: number | null;
  reference: string | null;
  backend: string;
  architecture: { family: string; confidence: string; evidence: string; shape: Record<string, unknown> };
  options: Record<string, unknown>;
  tensors: Record<string, TensorReport>;
  layers: LayerReport[];
  model: {
    tensors: number;
    params: number;
    bytes: number;
    /** whole-model figures, all tensors pooled */
    quant: Record<string, number>;
    default_plan: PruningPlan | null;
  };
}

export function histogramJson(h: Histogram): HistogramJson {
  return {
    scale: h.spec.scale,
    transform: h.spec.transform ?? 'none',
    edges: Array.from(h.edges),
    counts: Array.from(h.counts),
    below: h.below,
    above: h.above,
    zeros: h.zeros,
    nan: h.nan,
    total: h.total,
  };
}

export function statsJson(s: Stats): StatsJson {
  const { sum: _sum, sumsq: _sumsq, ...rest } = s;
  return rest;
}
