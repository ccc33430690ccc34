// One WebGPU device and what every kernel needs around it: limits requested from the adapter,
// the pipeline cache, the buffer pool, logging of uncaptured errors, and device-loss tracking (the
// backend falls back to the CPU once `lost` is set).
import type { KernelLog } from '../types.ts';
import type { AdapterChoice } from './adapter.ts';
import { BufferPool } from './bufferPool.ts';
import { BufferUsage } from './constants.ts';
import { PipelineCache } from './pipelineCache.ts';

export interface GpuRuntimeOptions {
  log: KernelLog;
  /** largest slab of a tensor uploaded at once, in bytes (default 64 MiB; tests force it small) */
  maxChunkBytes?: number;
  /** tensors up to this size stay on the GPU between the passes of a multi-pass kernel (default 512 MiB) */
  residentBytes?: number;
  /** idle pooled buffers kept for reuse (default 256 MiB) */
  poolBytes?: number;
  /** cap on the histogram counters kept in workgroup memory (default: what the device allows);
   * lower it to exercise the global-counter path of devices with little workgroup memory */
  maxLocalCounters?: number;
}

/** Threads per workgroup of every kernel: fits the compatibility-mode minimum (128). */
export const WORKGROUP_SIZE = 64;

/** Counters a histogram keeps in workgroup memory at most: 4096 bins + the 4 extra slots + slack. */
const MAX_LOCAL_COUNTERS = 4104;
const DEFAULT_CHUNK = 64 << 20;

export class GpuRuntime {
  readonly pipelines: PipelineCache;
  readonly pool: BufferPool;
  /** bytes of input per slab: a multiple of 16, within the binding and buffer limits */
  readonly slabBytes: number;
  readonly residentBytes: number;
  readonly maxWorkgroupsPerDimension: number;
  /** u32 counters that fit in one workgroup's memory, for the histogram kernel */
  readonly localCounterCap: number;
  /** set (with the reason) when the device is lost; the runtime is then unusable */
  lost: string | null = null;
  private disposed = false;

  private constructor(
    /** kept so the GPU instance outlives the device (see adapter.ts) */
    readonly choice: AdapterChoice,
    readonly device: GPUDevice,
    log: KernelLog,
    opts: GpuRuntimeOptions,
  ) {
    const limits = device.limits;
    this.pipelines = new PipelineCache(device);
    this.pool = new BufferPool(device, opts.poolBytes ?? 256 << 20);
    const cap = Math.min(opts.maxChunkBytes ?? DEFAULT_CHUNK, limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    this.slabBytes = Math.max(16, Math.floor(cap / 16) * 16);
    this.residentBytes = opts.residentBytes ?? 512 << 20;
    this.maxWorkgroupsPerDimension = limits.maxComputeWorkgroupsPerDimension;
    this.localCounterCap = Math.min(opts.maxLocalCounters ?? MAX_LOCAL_COUNTERS, MAX_LOCAL_COUNTERS, Math.floor(limits.maxComputeWorkgroupStorageSize / 4));
    device.onuncapturederror = (ev) => log.warn(`WebGPU error on ${choice.name}: ${ev.error.message}`);
    void device.lost.then((info) => {
      if (this.disposed) return;
      this.lost = `${info.reason}: ${info.message}`;
      log.warn(`WebGPU device lost on ${choice.name} (${this.lost}); continuing on the CPU`);
    });
  }

  /** Opens a device on the adapter, asking for the limits the kernels use up to what it offers. */
  static async open(choice: AdapterChoice, opts: GpuRuntimeOptions): Promise<GpuRuntime> {
    const a = choice.adapter.limits;
    const requiredLimits: Record<string, number> = {
      // Histograms with 4096 bins count in workgroup memory (16 KiB + a few counters).
      maxComputeWorkgroupStorageSize: Math.min(a.maxComputeWorkgroupStorageSize, 32768),
      maxStorageBufferBindingSize: Math.min(a.maxStorageBufferBindingSize, DEFAULT_CHUNK * 2),
      maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
    };
    const device = await choice.adapter.requestDevice({ label: 'ckpt-lens kernels', requiredLimits });
    return new GpuRuntime(choice, device, opts.log, opts);
  }

  /**
   * After a failed call: whether the device is lost. Dawn may reject the call's promises a moment
   * before it reports the loss, so give the lost promise one turn of the event loop to settle.
   */
  async confirmLost(): Promise<boolean> {
    if (this.lost) return true;
    await Promise.race([this.device.lost, new Promise((r) => setImmediate(r))]);
    await Promise.resolve();
    return this.lost !== null;
  }

  /** Writes a uniform block (u32 words) into a pooled uniform buffer. */
  uniforms(words: readonly number[], purpose: string): GPUBuffer {
    const buffer = this.pool.acquire(words.length * 4, BufferUsage.UNIFORM | BufferUsage.COPY_DST, purpose);
    this.device.queue.writeBuffer(buffer, 0, Uint32Array.from(words));
    return buffer;
  }

  /** Releases pooled buffers and the device. The process exits normally afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool.clear();
    this.device.destroy();
  }

  get name(): string {
    return this.choice.name;
  }
}
