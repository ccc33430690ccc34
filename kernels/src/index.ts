// The public surface of the kernel layer (see kernels/README.md).
export type { Backend, BackendKind } from './backend.ts';
export { BACKEND_CHOICES, createBackend, NoGpuError, type BackendChoice, type CreateBackendOptions, type CreatedBackend } from './createBackend.ts';
export { CpuBackend, type CpuBackendOptions } from './cpu/cpuBackend.ts';
export { WebGpuBackend } from './webgpu/webgpuBackend.ts';
export { bytesPerElement, silentLog, type KernelDType, type KernelLog, type TensorData } from './types.ts';
export { emptyStats, mergeStats, summarizeStats, type Stats, type StatsPartial } from './stats.ts';
export { emptyHistogram, histogramEdges, mergeHistograms, MAX_BINS, validateHistogramSpec, type Histogram, type HistogramSpec } from './histogram.ts';
export { lowerMedianRank, type SelectResult } from './select.ts';
