// Compiled pipelines, keyed explicitly by kernel name and specialization (dtype, workgroup size,
// capacities), so a pipeline is compiled once per process and never per call.
import { KERNEL_PARTS, WGSL, type KernelName } from './wgsl/shaders.generated.ts';

export interface PipelineSpec {
  kernel: KernelName;
  /** values of the shader's `override` constants */
  constants: Record<string, number>;
}

/** The cache key: kernel name plus every override constant, in a fixed order. */
export function pipelineKey(spec: PipelineSpec): string {
  const parts = Object.keys(spec.constants)
    .sort()
    .map((k) => `${k}=${spec.constants[k]}`);
  return [spec.kernel, ...parts].join('|');
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  get(spec: PipelineSpec): Promise<GPUComputePipeline> {
    const key = pipelineKey(spec);
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipelineAsync({
        label: `ckpt-lens ${key}`,
        layout: 'auto',
        compute: { module: this.module(spec.kernel), entryPoint: 'main', constants: spec.constants },
      });
      // A failed compile is not cached: the error reaches the caller, a later call retries.
      p.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, p);
    }
    return p;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private module(kernel: KernelName): GPUShaderModule {
    let m = this.modules.get(kernel);
    if (!m) {
      m = this.device.createShaderModule({ label: `ckpt-lens ${kernel}.wgsl`, code: KERNEL_PARTS[kernel].map((part) => WGSL[part]).join('\n') });
      this.modules.set(kernel, m);
    }
    return m;
  }
}
