// The CPU implementation of Backend: the reference every GPU kernel is tested against, and the
// fast path wherever no hardware GPU is available.
//
// Large tensors are cut into one range per thread: the calling thread works on the first range
// while worker threads (workerPool.ts) work on the others, over shared memory; the ranges' results
// combine exactly (jobs.ts). The workers' part of data not already on a SharedArrayBuffer is copied
// into one (a memcpy, cheap next to any kernel). Without a worker script (e.g. in a bundle that does not ship one) the
// backend stays single-threaded.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import type { Backend, FactoredOptions } from '../backend.ts';
import { float32Values } from '../float32View.ts';
import { histogramFromIntervals, histogramTables, validateHistogramSpec, type Histogram, type HistogramSpec } from '../histogram.ts';
import { radixSelect, type SelectResult } from '../select.ts';
import { emptyStats, mergeStats, type StatsPartial } from '../stats.ts';
import { bytesPerElement, type KernelLog, type TensorData } from '../types.ts';
import { BLOCK } from './blocks.ts';
import { PATTERN_MIN_ELEMENTS, selectFromPatterns } from './halfPatterns.ts';
import { cpuHistogram } from './histogram.ts';
import { runJob, type Job, type JobResult, type SharedTensor } from './jobs.ts';
import { CPU_DIGIT_BITS, cpuSelect } from './select.ts';
import { cpuStats } from './stats.ts';
import { excpStep, type ExcpOptions, type ExcpStepResult } from './excp.ts';
import { kmeans1d, type KMeansOptions, type KMeansResult } from './kmeans.ts';
import { nmPrune, type NMOptions, type NMResult } from './nm.ts';
import { rowColProfiles, view2d, type Profiles } from './profiles.ts';
import { quantizeError, type QuantErrorOptions, type QuantErrorResult } from './quantError.ts';
import { factoredError } from './quantFactored.ts';
import { WorkerPool, type WorkerEntry } from './workerPool.ts';

export interface CpuBackendOptions {
  /** threads in all, the calling one included (default: available cores, at most 4) */
  threads?: number;
  /** a bundle's build of kernelWorker.ts (default: the source file, when running from source) */
  workerScript?: string;
  /** tensors smaller than this stay on one thread (default 4 Mi elements) */
  parallelMinElements?: number;
  log?: KernelLog;
}

/**
 * The worker when running from source (tests, benchmarks, the CLI through tsx): kernelWorker.ts,
 * loaded through tsx's CommonJS hook, which worker threads do not inherit from --import. In a
 * bundle there is no source beside this file, and the host passes its own workerScript.
 */
function sourceWorker(): WorkerEntry | undefined {
  if (typeof __dirname !== 'string') return undefined;
  const entry = join(__dirname, 'kernelWorker.ts');
  if (!existsSync(entry)) return undefined;
  try {
    const tsx = require.resolve('tsx/cjs');
    return { code: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});` };
  } catch {
    return undefined;
  }
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly description: string;
  private readonly workers: { size: number; entry: WorkerEntry } | null;
  private poolInstance: WorkerPool | null = null;
  private readonly parallelMin: number;
  /** parallel calls share one scratch SharedArrayBuffer, so they run one at a time */
  private queue: Promise<unknown> = Promise.resolve();
  private scratch: SharedArrayBuffer | null = null;

  constructor(opts: CpuBackendOptions = {}) {
    const threads = Math.max(1, Math.floor(opts.threads ?? Math.min(4, availableParallelism())));
    const entry: WorkerEntry | undefined = opts.workerScript ? { file: opts.workerScript } : sourceWorker();
    this.workers = threads > 1 && entry ? { size: threads - 1, entry } : null;
    this.parallelMin = opts.parallelMinElements ?? 1 << 22;
    const n = this.workers ? this.workers.size + 1 : 1;
    this.description = `CPU (TypeScript, float64 accumulation, ${n} thread${n > 1 ? 's' : ''})`;
    if (threads > 1 && !entry) opts.log?.info('kernels: no CPU worker script available; running single-threaded');
  }

  async stats(x: TensorData): Promise<StatsPartial> {
    if (!this.parallel(x)) return cpuStats(x);
    const parts = (await this.onRanges(x, { kind: 'stats' })) as StatsPartial[];
    return parts.reduce(mergeStats, emptyStats());
  }

  async histogram(x: TensorData, spec: HistogramSpec): Promise<Histogram> {
    validateHistogramSpec(spec);
    if (!this.parallel(x)) return cpuHistogram(x, spec);
    const parts = (await this.onRanges(x, { kind: 'histogram', spec })) as Float64Array[];
    return histogramFromIntervals(spec, histogramTables(spec), sum(parts));
  }

  async selectMagnitude(x: TensorData, k: number): Promise<SelectResult> {
    if (!this.parallel(x)) return cpuSelect(x, k);
    if (x.dtype !== 'F32' && x.data.length >= PATTERN_MIN_ELEMENTS) {
      return selectFromPatterns(sum((await this.onRanges(x, { kind: 'patterns' })) as Float64Array[]), x.dtype, k);
    }
    return radixSelect(x.dtype, x.data.length, k, CPU_DIGIT_BITS, async (pass) => sum((await this.onRanges(x, { kind: 'radix', pass })) as Float64Array[]));
  }

  // Kernels 4-8 run on the calling thread: their CPU references are the definitions the GPU kernels
  // are tested against, and (0.2-0.5 GB/s) they cost less than reading the tensor from disk.
  async quantError(x: TensorData, shape: readonly number[], opts: QuantErrorOptions): Promise<QuantErrorResult> {
    return quantizeError(float32Values(x), shape, opts);
  }

  async factoredError(v: TensorData, shape: readonly number[], opts: FactoredOptions = {}): Promise<QuantErrorResult> {
    return factoredError(float32Values(v), shape, opts);
  }

  async profiles(x: TensorData, shape: readonly number[], opts: { l2?: boolean } = {}): Promise<Profiles> {
    const { rows, cols } = view2d(shape);
    return rowColProfiles(float32Values(x), rows, cols, opts);
  }

  async nm(x: TensorData, shape: readonly number[], opts: NMOptions): Promise<NMResult> {
    return nmPrune(float32Values(x), view2d(shape).cols, opts);
  }

  async excpStep(w: TensorData, r: TensorData, m: TensorData | undefined, v: TensorData | undefined, opts: ExcpOptions = {}): Promise<ExcpStepResult> {
    return excpStep(float32Values(w), float32Values(r), m && float32Values(m), v && float32Values(v), opts);
  }

  async kmeans(x: TensorData, opts: KMeansOptions): Promise<KMeansResult> {
    return kmeans1d(float32Values(x), opts);
  }

  async dispose(): Promise<void> {
    await this.poolInstance?.close();
    this.poolInstance = null;
    this.scratch = null;
  }

  private parallel(x: TensorData): boolean {
    return this.workers !== null && x.data.length >= this.parallelMin;
  }

  /** The worker threads, started on the first call that needs them. */
  private get pool(): WorkerPool {
    return (this.poolInstance ??= new WorkerPool(this.workers!.size, this.workers!.entry));
  }

  /** Runs `job` on one range per thread and returns the results in range order. */
  private onRanges(x: TensorData, job: Job): Promise<JobResult[]> {
    const run = this.queue.then(() => this.runRanges(x, job));
    this.queue = run.catch(() => {});
    return run;
  }

  private async runRanges(x: TensorData, job: Job): Promise<JobResult[]> {
    const pool = this.pool;
    const n = x.data.length;
    const parts = pool.size + 1;
    const per = Math.ceil(n / parts / BLOCK) * BLOCK;
    const cut = (i: number) => Math.min(n, i * per);
    // The calling thread reads its range in place; the workers' ranges go to shared memory.
    const { shared, offset } = this.share(x, cut(1));
    const fromWorkers = Array.from({ length: pool.size }, (_, i) => pool.run(i, shared, cut(i + 1) - offset, cut(i + 2) - offset, job));
    // Observed below; keep an early failure from becoming an unhandled rejection meanwhile.
    for (const p of fromWorkers) p.catch(() => {});
    const mine = runJob(x, 0, cut(1), job);
    return [mine, ...(await Promise.all(fromWorkers))];
  }

  /**
   * Elements [from, n) of x on shared memory: x itself when it already is (offset 0), else a copy
   * in the reused scratch buffer, whose element 0 is x's element `from`.
   */
  private share(x: TensorData, from: number): { shared: SharedTensor; offset: number } {
    const { data } = x;
    if (data.buffer instanceof SharedArrayBuffer) {
      return { shared: { dtype: x.dtype, buffer: data.buffer, byteOffset: data.byteOffset, length: data.length }, offset: 0 };
    }
    const bpe = bytesPerElement(x.dtype);
    const bytes = (data.length - from) * bpe;
    if (!this.scratch || this.scratch.byteLength < bytes) this.scratch = new SharedArrayBuffer(bytes);
    new Uint8Array(this.scratch, 0, bytes).set(new Uint8Array(data.buffer, data.byteOffset + from * bpe, bytes));
    return { shared: { dtype: x.dtype, buffer: this.scratch, byteOffset: 0, length: data.length - from }, offset: from };
  }
}

function sum(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts[0]!.length);
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i] += p[i]!;
  return out;
}
