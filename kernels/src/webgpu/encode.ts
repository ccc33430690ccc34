// How a kernel wrapper encodes one dispatch: the shaders' dtype codes, the grid, the bind group
// (buffers at bindings 0, 1, ... in order) and the compute pass. Every wrapper goes through here.
import { bytesPerElement, type KernelDType } from '../types.ts';
import { gridFor, type Grid } from './dispatch.ts';
import type { SlabOutput } from './multiSlabs.ts';
import { BufferUsage } from './constants.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import type { SlabInput } from './slabs.ts';

/** The value of a shader's dtype override (DTYPE, DT_W, ...) for each input dtype (common.wgsl). */
export const DTYPE_CODE: Readonly<Record<KernelDType, number>> = { F32: 0, BF16: 1, F16: 2 };

/** vec4<u32> words holding `count` elements of `dtype`. */
export function vec4Words(count: number, dtype: KernelDType): number {
  return Math.ceil((count * bytesPerElement(dtype)) / 16);
}

/** The grid of a tile kernel over `words` vec4 words (or quads), `vpt` of them per thread (common.wgsl tile_first). */
export function tileGrid(rt: GpuRuntime, words: number, vpt: number): Grid {
  return gridFor(Math.ceil(words / (vpt * WORKGROUP_SIZE)), rt.maxWorkgroupsPerDimension);
}

/** The grid of `threads` threads (kernels with one thread per piece, group or record). */
export function threadGrid(rt: GpuRuntime, threads: number): Grid {
  return gridFor(Math.ceil(threads / WORKGROUP_SIZE), rt.maxWorkgroupsPerDimension);
}

/** A buffer bound whole, or a range of one. */
export type Binding = GPUBuffer | GPUBufferBinding;

/** A slab's input, bound over its bytes. */
export function slabBinding(input: SlabInput): GPUBufferBinding {
  return { buffer: input.buffer, size: input.bindBytes };
}

/** Records `pipeline` over `grid` in an open pass, with `bindings` at 0, 1, ... */
export function dispatchIn(rt: GpuRuntime, pass: GPUComputePassEncoder, pipeline: GPUComputePipeline, label: string, bindings: Binding[], grid: Grid): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, rt.device.createBindGroup({
    label: `ckpt-lens ${label} bindings`,
    layout: pipeline.getBindGroupLayout(0),
    entries: bindings.map((b, binding) => ({ binding, resource: 'buffer' in b ? b : { buffer: b } })),
  }));
  pass.dispatchWorkgroups(grid.x, grid.y);
}

/** One compute pass of one dispatch. */
export function encodeDispatch(rt: GpuRuntime, encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, label: string, bindings: Binding[], grid: Grid): void {
  const pass = encoder.beginComputePass({ label: `ckpt-lens ${label}` });
  dispatchIn(rt, pass, pipeline, label, bindings, grid);
  pass.end();
}

export interface TileSpec {
  /** vec4 words per thread (the pipeline's VPT) */
  vpt: number;
  /** uniform words after n, vecs, groups_x */
  params: number[];
  /** bindings between the input (1) and the output (last) */
  tables?: Binding[];
  /** output bytes for the grid launched */
  outputBytes(grid: Grid): number;
  /** zero the output first (counters that the kernel adds to) */
  clear?: boolean;
}

/**
 * Encodes a tile kernel (input.wgsl: stats, fixedSum, histogram, radix, quantError) over `count`
 * elements of one slab: uniforms n, vecs, groups_x and `spec.params`; the input at binding 1, the
 * tables, then the output. Returns the output to read back and the pooled buffers to release after.
 */
export function encodeTile(
  rt: GpuRuntime,
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  label: string,
  input: SlabInput,
  count: number,
  dtype: KernelDType,
  spec: TileSpec,
): { output: SlabOutput; buffers: GPUBuffer[] } {
  const vecs = vec4Words(count, dtype);
  const grid = tileGrid(rt, vecs, spec.vpt);
  const bytes = Math.max(16, spec.outputBytes(grid));
  const uniforms = rt.uniforms([count, vecs, grid.x, ...spec.params], `${label} params`);
  const output = rt.pool.acquire(bytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC | (spec.clear ? BufferUsage.COPY_DST : 0), `${label} output`);
  if (spec.clear) encoder.clearBuffer(output, 0, bytes);
  encodeDispatch(rt, encoder, pipeline, label, [uniforms, slabBinding(input), ...(spec.tables ?? []), { buffer: output, size: bytes }], grid);
  return { output: { buffer: output, bytes }, buffers: [uniforms, output] };
}

/** Output bytes of a kernel whose every launched thread writes `words` u32. */
export function threadRecordBytes(grid: Grid, words: number): number {
  return grid.total * WORKGROUP_SIZE * words * 4;
}
