// What an analysis measures, with the defaults ALGORITHMS.md gives.
import { DEFAULT_SPARSITY_GRID } from './errorCurve.ts';

export interface AnalysisOptions {
  /** histogram bins (linear and log) */
  bins: number;
  /** outlier rows/columns: max-abs above k times the profile's median */
  outlierK: number;
  /** quantization error is measured for tensors with at least this many elements (the reference: > 4096) */
  quantMinElements: number;
  /** measure the weight quantization table (int8/int4, blocks 32..2048, linear and DE) */
  weightQuant: boolean;
  /** include full row/column max-abs profiles in outlier results */
  profiles: boolean;
  /** ExCP parameters for `excp_default` against a reference */
  alpha: number;
  beta: number;
  sparsities: readonly number[];
}

export const DEFAULT_ANALYSIS_OPTIONS: AnalysisOptions = {
  bins: 128,
  outlierK: 8,
  quantMinElements: 4097,
  weightQuant: true,
  profiles: false,
  alpha: 5e-5,
  beta: 2.0,
  sparsities: DEFAULT_SPARSITY_GRID,
};
