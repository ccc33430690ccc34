// Kernel 3 on WebGPU: wrapper of radix.wgsl, driven by radixSelect (select.ts). The tensor is
// uploaded once and stays resident across the passes when it fits the runtime's budget; otherwise
// every pass streams it again.
import { radixSelect, type RadixPass, type SelectResult, checkRank } from '../select.ts';
import { bytesPerElement, type TensorData } from '../types.ts';
import { DTYPE_CODE, encodeTile } from './encode.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import { planSlabs, releaseInputs, runSlabs, uploadResident, type Slab, type SlabInput } from './slabs.ts';

/** 11-bit digits: 2048 counters (8 KiB of workgroup memory); three passes for float32. */
export const GPU_DIGIT_BITS = 11;
const VPT = 256;

export async function gpuSelect(rt: GpuRuntime, x: TensorData, k: number): Promise<SelectResult> {
  checkRank(x.data.length, k);
  const slabs = planSlabs(x.data.length, bytesPerElement(x.dtype), rt.slabBytes);
  const resident = x.data.length * bytesPerElement(x.dtype) <= rt.residentBytes ? uploadResident(rt, x, slabs) : undefined;
  try {
    return await gpuSelectOnSlabs(rt, x, k, slabs, resident);
  } finally {
    if (resident) releaseInputs(rt, resident);
  }
}

/**
 * The selection over given slabs of x, read from `resident` buffers (one per slab) when given, else
 * uploaded on every pass. With resident buffers x only gives the dtype and length: a kernel may
 * select over data it produced on the GPU (ExCP's residual).
 */
export async function gpuSelectOnSlabs(rt: GpuRuntime, x: TensorData, k: number, slabs: Slab[], resident?: SlabInput[]): Promise<SelectResult> {
  checkRank(x.data.length, k);
  const pipeline = await rt.pipelines.get({
    kernel: 'radix',
    constants: { DTYPE: DTYPE_CODE[x.dtype], WG: WORKGROUP_SIZE, VPT, LOCAL_CAP: 1 << GPU_DIGIT_BITS },
  });
  return radixSelect(x.dtype, x.data.length, k, GPU_DIGIT_BITS, async (p: RadixPass) => {
    const digits = 1 << p.bits;
    const total = new Float64Array(digits);
    const counterBytes = Math.max(16, digits * 4);
    await runSlabs(rt, x, slabs, {
      encode(encoder: GPUCommandEncoder, input: SlabInput, slab: Slab) {
        const { output, buffers } = encodeTile(rt, encoder, pipeline, 'radix count', input, slab.count, x.dtype, {
          vpt: VPT,
          params: [p.shift, digits, p.prefixMask, p.prefix, 0],
          outputBytes: () => counterBytes,
          clear: true,
        });
        return { output: output.buffer, bytes: counterBytes, release: () => rt.pool.release(...buffers) };
      },
      consume(_slab: Slab, data: ArrayBuffer) {
        const c = new Uint32Array(data, 0, digits);
        for (let j = 0; j < digits; j++) total[j] += c[j]!;
      },
    }, resident);
    return total;
  });
}
