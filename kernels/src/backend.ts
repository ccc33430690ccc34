// The one interface every analysis calls. Two implementations give the same answers: CpuBackend
// (the reference, tuned TypeScript) and WebGpuBackend (WGSL through Dawn). Results of one call
// describe the TensorData it was given; chunks of a tensor combine with mergeStats /
// mergeHistograms, so callers may feed a large tensor piece by piece.
import type { Histogram, HistogramSpec } from './histogram.ts';
import type { SelectResult } from './select.ts';
import type { StatsPartial } from './stats.ts';
import type { TensorData } from './types.ts';

export type BackendKind = 'cpu' | 'webgpu';

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

  /** Releases the device and pooled memory; the backend is unusable afterwards. */
  dispose(): Promise<void>;
}
