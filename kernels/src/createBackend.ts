// Choosing the backend: `auto | webgpu | cpu` (setting and CLI flag --backend).
// - cpu: the CPU path.
// - auto: WebGPU on a hardware adapter; otherwise the CPU path, because a software adapter such
//   as llvmpipe is slower than the tuned CPU loops.
// - webgpu: WebGPU on any adapter, software included (tests); an error if there is none.
// The result says which backend and adapter run the kernels and why.
import type { Backend } from './backend.ts';
import { CpuBackend, type CpuBackendOptions } from './cpu/cpuBackend.ts';
import { silentLog, type KernelLog } from './types.ts';
import { chooseAdapter } from './webgpu/adapter.ts';
import { gpuDeviceNodes } from './webgpu/gpuDevices.ts';
import { GpuRuntime } from './webgpu/runtime.ts';
import { WebGpuBackend } from './webgpu/webgpuBackend.ts';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'cpu'];

export interface CreateBackendOptions {
  backend?: BackendChoice;
  log?: KernelLog;
  /** see GpuRuntimeOptions and WebGpuBackendOptions */
  maxChunkBytes?: number;
  residentBytes?: number;
  maxLocalCounters?: number;
  cpuBelowElements?: number;
  /** see CpuBackendOptions */
  cpuThreads?: number;
  cpuWorkerScript?: string;
}

export interface CreatedBackend {
  backend: Backend;
  /** one line for logs and the status bar: the backend, the adapter, and why */
  description: string;
}

/** No adapter although WebGPU was asked for; the message lists what was tried. */
export class NoGpuError extends Error {
  constructor(readonly notes: string[]) {
    super(`no WebGPU adapter: ${notes.join('; ') || 'none found'}`);
    this.name = 'NoGpuError';
  }
}

export async function createBackend(opts: CreateBackendOptions = {}): Promise<CreatedBackend> {
  const choice = opts.backend ?? 'auto';
  const log = opts.log ?? silentLog;
  const cpuOptions = { threads: opts.cpuThreads, workerScript: opts.cpuWorkerScript, log };
  if (choice === 'cpu') return cpu('backend "cpu" was asked for', cpuOptions);
  if (choice !== 'auto' && choice !== 'webgpu') throw new RangeError(`unknown backend "${String(choice)}" (expected ${BACKEND_CHOICES.join(', ')})`);

  if (choice === 'auto' && gpuDeviceNodes()?.length === 0) {
    return cpu('auto: no hardware GPU adapter; no GPU device on this machine (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg), so WebGPU was not probed', cpuOptions);
  }
  const { choice: adapter, notes } = await chooseAdapter(choice === 'webgpu');
  if (!adapter) {
    if (choice === 'webgpu') throw new NoGpuError(notes);
    return cpu(`auto: no hardware GPU adapter; ${notes.join('; ')}; the CPU path is faster than a software adapter`, cpuOptions);
  }
  const { maxChunkBytes, residentBytes, maxLocalCounters } = opts;
  const runtime = await GpuRuntime.open(adapter, { log, maxChunkBytes, residentBytes, maxLocalCounters });
  const backend = new WebGpuBackend(runtime, { log, cpuBelowElements: opts.cpuBelowElements });
  const why = choice === 'webgpu' ? (adapter.software ? 'backend "webgpu" was asked for; software adapter, slower than the CPU path' : 'backend "webgpu" was asked for') : 'auto: hardware adapter found';
  const description = `${backend.description} (${why})`;
  log.info(`kernels: ${description}`);
  return { backend, description };
}

function cpu(why: string, opts: CpuBackendOptions & { log: KernelLog }): CreatedBackend {
  const backend = new CpuBackend(opts);
  const description = `${backend.description} (${why})`;
  opts.log.info(`kernels: ${description}`);
  return { backend, description };
}
