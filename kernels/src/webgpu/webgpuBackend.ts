// The WebGPU implementation of Backend. Small tensors (below `cpuBelowElements`) go to the CPU,
// where a call costs less than one GPU round trip; after a device loss every call does.
import type { Backend, FactoredOptions } from '../backend.ts';
import type { ExcpOptions, ExcpStepResult } from '../cpu/excp.ts';
import type { KMeansOptions, KMeansResult } from '../cpu/kmeans.ts';
import type { NMOptions, NMResult } from '../cpu/nm.ts';
import { view2d, type Profiles } from '../cpu/profiles.ts';
import type { QuantErrorOptions, QuantErrorResult } from '../cpu/quantError.ts';
import { CpuBackend } from '../cpu/cpuBackend.ts';
import type { Histogram, HistogramSpec } from '../histogram.ts';
import { validateHistogramSpec } from '../histogram.ts';
import type { SelectResult } from '../select.ts';
import type { StatsPartial } from '../stats.ts';
import type { KernelLog, TensorData } from '../types.ts';
import { gpuHistogram } from './gpuHistogram.ts';
import { gpuFactoredError } from './gpuFactored.ts';
import { gpuQuantError } from './gpuQuant.ts';
import { gpuSelect } from './gpuSelect.ts';
import { gpuStats } from './gpuStats.ts';
import { gpuExcp } from './gpuExcp.ts';
import { gpuKmeans } from './gpuKmeans.ts';
import { gpuNM } from './gpuNM.ts';
import { gpuProfiles } from './gpuProfiles.ts';
import type { GpuRuntime } from './runtime.ts';

export interface WebGpuBackendOptions {
  log: KernelLog;
  /** tensors with fewer elements run on the CPU (default 65536; 0 sends everything to the GPU) */
  cpuBelowElements?: number;
}

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  /** small tensors and the device-loss fallback (one thread: no worker pool beside the GPU) */
  private readonly cpu = new CpuBackend({ threads: 1 });
  private readonly cpuBelow: number;
  private readonly log: KernelLog;

  constructor(readonly runtime: GpuRuntime, opts: WebGpuBackendOptions) {
    this.cpuBelow = opts.cpuBelowElements ?? 1 << 16;
    this.log = opts.log;
  }

  get description(): string {
    const where = `WebGPU on ${this.runtime.name}${this.runtime.choice.software ? ' [software]' : ''}`;
    return this.runtime.lost ? `${where}, device lost (${this.runtime.lost}): running on the CPU` : where;
  }

  stats(x: TensorData): Promise<StatsPartial> {
    return this.run('stats', x, () => gpuStats(this.runtime, x), () => this.cpu.stats(x));
  }

  async histogram(x: TensorData, spec: HistogramSpec): Promise<Histogram> {
    validateHistogramSpec(spec);
    return this.run('histogram', x, () => gpuHistogram(this.runtime, x, spec), () => this.cpu.histogram(x, spec));
  }

  selectMagnitude(x: TensorData, k: number): Promise<SelectResult> {
    return this.run('select', x, () => gpuSelect(this.runtime, x, k), () => this.cpu.selectMagnitude(x, k));
  }

  // The GPU wrappers answer null for what their tables cannot hold (codebooks of more than 256
  // distinct entries, 2-D views millions of columns wide): the CPU takes those.
  quantError(x: TensorData, shape: readonly number[], opts: QuantErrorOptions): Promise<QuantErrorResult> {
    const cpu = () => this.cpu.quantError(x, shape, opts);
    return this.run('quantError', x, async () => (await gpuQuantError(this.runtime, x, shape, opts)) ?? cpu(), cpu);
  }

  factoredError(v: TensorData, shape: readonly number[], opts: FactoredOptions = {}): Promise<QuantErrorResult> {
    const cpu = () => this.cpu.factoredError(v, shape, opts);
    return this.run('factoredError', v, async () => (await gpuFactoredError(this.runtime, v, shape, opts)) ?? cpu(), cpu);
  }

  profiles(x: TensorData, shape: readonly number[], opts: { l2?: boolean } = {}): Promise<Profiles> {
    const { rows, cols } = view2d(shape);
    return this.run('profiles', x, () => gpuProfiles(this.runtime, x, rows, cols, opts), () => this.cpu.profiles(x, shape, opts));
  }

  nm(x: TensorData, shape: readonly number[], opts: NMOptions): Promise<NMResult> {
    return this.run('nm', x, () => gpuNM(this.runtime, x, view2d(shape).cols, opts), () => this.cpu.nm(x, shape, opts));
  }

  excpStep(w: TensorData, r: TensorData, m: TensorData | undefined, v: TensorData | undefined, opts: ExcpOptions = {}): Promise<ExcpStepResult> {
    return this.run('excpStep', w, () => gpuExcp(this.runtime, w, r, m, v, opts), () => this.cpu.excpStep(w, r, m, v, opts));
  }

  kmeans(x: TensorData, opts: KMeansOptions): Promise<KMeansResult> {
    return this.run('kmeans', x, () => gpuKmeans(this.runtime, x, opts), () => this.cpu.kmeans(x, opts));
  }

  async dispose(): Promise<void> {
    this.runtime.dispose();
  }

  private async run<T>(kernel: string, x: TensorData, gpu: () => Promise<T>, cpu: () => Promise<T>): Promise<T> {
    if (this.runtime.lost || x.data.length < this.cpuBelow) return cpu();
    try {
      return await gpu();
    } catch (e) {
      if (!(await this.runtime.confirmLost())) throw e;
      this.log.warn(`${kernel} failed with the GPU device lost (${String(e)}); recomputing on the CPU`);
      return cpu();
    }
  }
}
