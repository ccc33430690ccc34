// The one interface every analysis calls. Two implementations give the same answers: CpuBackend
// (the reference, tuned TypeScript) and WebGpuBackend (WGSL through Dawn). Results of one call
// describe the TensorData it was given; chunks of a tensor combine with mergeStats /
// mergeHistograms, so callers may feed a large tensor piece by piece.
import type { ExcpOptions, ExcpStepResult } from './cpu/excp.ts';
import type { KMeansOptions, KMeansResult } from './cpu/kmeans.ts';
import type { NMOptions, NMResult } from './cpu/nm.ts';
import type { Profiles } from './cpu/profiles.ts';
import type { QuantErrorOptions, QuantErrorResult } from './cpu/quantError.ts';
import type { Histogram, HistogramSpec } from './histogram.ts';
import type { SelectResult } from './select.ts';
import type { StatsPartial } from './stats.ts';
import type { TensorData } from './types.ts';

export type BackendKind = 'cpu' | 'webgpu';

/** Options of the factorized (Adafactor-style) second-moment estimate. */
export interface FactoredOptions {
  /** compute `update_rel_err` (default true: the estimate is meant for Adam's v) */
  secondMoment?: boolean;
  /** write the estimate here (length n) */
  dequantized?: Float32Array;
}

export interface Backend {
  readonly kind: BackendKind;
  /** which device runs the kernels, e.g. "WebGPU on NVIDIA H100 ..." or "CPU, 1 thread" */
  readonly description: string;

  /** Kernel 1: fused statistics (mergeable; summarizeStats gives the report figures). */
  stats(x: TensorData): Promise<StatsPartial>;
  /** Kernel 2: histogram of x (or of h(x), see HistogramSpec.transform). */
  histogram(x: TensorData, spec: HistogramSpec): Promise<Histogram>;
  /** Kernel 3: the k-th smallest |x| (0-based rank), exact. Needs the whole tensor in one call. */
  selectMagnitude(x: TensorData, k: number): Promise<SelectResult>;
  /** Kernel 4: quantize -> dequantize error for a codebook and normalization (ALGORITHMS.md §2). */
  quantError(x: TensorData, shape: readonly number[], opts: QuantErrorOptions): Promise<QuantErrorResult>;
  /** Kernel 5: error of the rank-1 factorized estimate of a second moment. */
  factoredError(v: TensorData, shape: readonly number[], opts?: FactoredOptions): Promise<QuantErrorResult>;
  /** Kernel 6: row/column max-abs (and optionally L2) profiles of the 2-D view. */
  profiles(x: TensorData, shape: readonly number[], opts?: { l2?: boolean }): Promise<Profiles>;
  /** Kernel 7: N:M semi-structured pruning along the rows of the 2-D view. */
  nm(x: TensorData, shape: readonly number[], opts: NMOptions): Promise<NMResult>;
  /** Kernel 8: ExCP's residual, joint weight/momentum masks and kept counts (ALGORITHMS.md §1). */
  excpStep(w: TensorData, r: TensorData, m: TensorData | undefined, v: TensorData | undefined, opts?: ExcpOptions): Promise<ExcpStepResult>;
  /** 1-D k-means of the selected values (ExCP's quantizer, ALGORITHMS.md §1.4): centroids, codes, exact SSE. Needs the whole tensor in one call. */
  kmeans(x: TensorData, opts: KMeansOptions): Promise<KMeansResult>;

  /** Releases the device and pooled memory; the backend is unusable afterwards. */
  dispose(): Promise<void>;
}
