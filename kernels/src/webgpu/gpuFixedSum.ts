// Wrapper of fixedSum.wgsl: sum x or |x| of one slab to about 1e-11 relative (integer accumulation
// per thread, see the shader), finished in float64 here. Used for means that set thresholds, where
// an f32 sum could move a float32 threshold by an ulp and change a kept count.
import type { KernelDType } from '../types.ts';
import { DTYPE_CODE, encodeTile, threadRecordBytes } from './encode.ts';
import type { SlabOutput } from './multiSlabs.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import type { SlabInput } from './slabs.ts';

const VPT = 256;
const RECORD_WORDS = 8;

export interface FixedSum {
  sum: number;
  nan: number;
  posinf: number;
  neginf: number;
}

export const emptyFixedSum = (): FixedSum => ({ sum: 0, nan: 0, posinf: 0, neginf: 0 });

export function fixedSumPipeline(rt: GpuRuntime, dtype: KernelDType, abs: boolean): Promise<GPUComputePipeline> {
  return rt.pipelines.get({ kernel: 'fixedSum', constants: { DTYPE: DTYPE_CODE[dtype], WG: WORKGROUP_SIZE, VPT, ABS: abs ? 1 : 0 } });
}

/** Encodes the sum of `count` elements of `input`; returns the records to read back (release both buffers after). */
export function encodeFixedSum(rt: GpuRuntime, encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, input: SlabInput, count: number, dtype: KernelDType): { output: SlabOutput; buffers: GPUBuffer[] } {
  return encodeTile(rt, encoder, pipeline, 'fixed sum', input, count, dtype, { vpt: VPT, params: [0] /* SlabShape's padding */, outputBytes: (grid) => threadRecordBytes(grid, RECORD_WORDS) });
}

/** Adds one slab's records: each is (hi * 2^32 + lo) units of 2^(E - 174), positive minus negative. */
export function foldFixedSum(acc: FixedSum, data: ArrayBuffer): void {
  const u = new Uint32Array(data);
  for (let r = 0; r + RECORD_WORDS <= u.length; r += RECORD_WORDS) {
    const units = (u[r + 2]! - u[r + 4]!) * 4294967296 + (u[r + 1]! - u[r + 3]!);
    if (units !== 0) acc.sum += units * 2 ** (u[r]! - 174);
    acc.nan += u[r + 5]!;
    acc.posinf += u[r + 6]!;
    acc.neginf += u[r + 7]!;
  }
}

/** The sum as float64 arithmetic over the values would give it: NaN, then +-Inf, win. */
export function fixedSumValue(acc: FixedSum): number {
  if (acc.nan > 0 || (acc.posinf > 0 && acc.neginf > 0)) return NaN;
  if (acc.posinf > 0) return Infinity;
  if (acc.neginf > 0) return -Infinity;
  return acc.sum;
}
