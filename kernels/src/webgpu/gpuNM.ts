// Kernel 7 on WebGPU: wrapper of nm.wgsl. Slabs are cut between N:M groups, so each group is ranked
// whole; per thread the kernel leaves kept count, flags and scaled f32 sums, finished here in
// float64 exactly as nm.ts combines chunks (mergeNM's arithmetic).
import { NM_MAX_M, type NMOptions, type NMResult } from '../cpu/nm.ts';
import { bytesPerElement, type TensorData } from '../types.ts';
import { BufferUsage } from './constants.ts';
import { DTYPE_CODE, encodeDispatch, slabBinding, threadGrid } from './encode.ts';
import { scaleExponent } from './gpuProfiles.ts';
import { roundBytes, runMultiSlabs, type SlabSource } from './multiSlabs.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import type { Slab, SlabInput } from './slabs.ts';

/** Elements one thread ranks at most (its keep bits live in 8 words). */
const THREAD_ELEMENTS = 256;
const RECORD_WORDS = 8;

/** Slabs of at most `maxElements` whose boundaries fall between groups of M along the rows. */
export function planGroupSlabs(numel: number, cols: number, m: number, maxElements: number): Slab[] {
  if (maxElements < m) throw new RangeError(`a slab of ${maxElements} elements cannot hold a group of ${m}`);
  const out: Slab[] = [];
  for (let start = 0, i = 0; start < numel; i++) {
    let end = Math.min(numel, start + maxElements);
    if (end < numel) end -= (end % cols) % m;
    out.push({ index: i, start, count: end - start });
    start = end;
  }
  return out;
}

function checkArgs(x: TensorData, cols: number, opts: NMOptions): void {
  const { n, m } = opts;
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 0 || m < 1 || n > m || m > NM_MAX_M) {
    throw new RangeError(`N:M needs integers 0 <= N <= M <= ${NM_MAX_M}, got ${n}:${m}`);
  }
  const len = x.data.length;
  if (!Number.isInteger(cols) || cols < 1 || len % cols !== 0) throw new RangeError(`${len} elements are not whole rows of ${cols}`);
  if (opts.importance && opts.importance.length !== len) throw new RangeError(`importance has ${opts.importance.length} elements, x has ${len}`);
  if (opts.mask && opts.mask.length !== len) throw new RangeError(`mask has ${opts.mask.length} elements, x has ${len}`);
}

export async function gpuNM(rt: GpuRuntime, x: TensorData, cols: number, opts: NMOptions): Promise<NMResult> {
  checkArgs(x, cols, opts);
  const { n, m, importance, mask } = opts;
  const total = x.data.length;
  const sums = { kept: 0, sumSq: 0, prunedSumSq: 0, impTotal: 0, impRemoved: 0 };
  if (total > 0) {
    const pipeline = await rt.pipelines.get({ kernel: 'nm', constants: { DTYPE: DTYPE_CODE[x.dtype], WG: WORKGROUP_SIZE, HAS_IMP: importance ? 1 : 0, SMALL_M: m <= 4 ? 1 : 0 } });
    const gpt = Math.max(1, Math.floor(THREAD_ELEMENTS / m));
    const gpr = Math.ceil(cols / m);
    const maxElements = Math.floor(rt.slabBytes / (importance ? 4 : bytesPerElement(x.dtype)));
    const slabs = planGroupSlabs(total, cols, m, maxElements);
    // Groups a slab holds: from its first group (slabs start on one) through the one holding its last element.
    const groupsIn = (slab: Slab) => {
      const firstCol = slab.start % cols;
      const lastExt = firstCol + slab.count - 1;
      return Math.floor(lastExt / cols) * gpr + Math.floor((lastExt % cols) / m) + 1 - firstCol / m;
    };
    const sources: SlabSource[] = [x];
    if (importance) sources.push({ dtype: 'F32', data: importance });
    await runMultiSlabs(rt, sources, slabs, {
      encode(encoder: GPUCommandEncoder, inputs: SlabInput[], slab: Slab) {
        const firstCol = slab.start % cols;
        const groups = groupsIn(slab);
        const threads = Math.ceil(groups / gpt);
        const grid = threadGrid(rt, threads);
        const uniforms = rt.uniforms([slab.count, cols, firstCol, grid.x, m, n, gpr, firstCol / m, groups, gpt, mask ? 1 : 0, 0], 'nm params');
        const recordBytes = roundBytes(threads * RECORD_WORDS * 4);
        const records = rt.pool.acquire(recordBytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC, 'nm records');
        const maskBytes = mask ? roundBytes(slab.count) : 16;
        const maskBuf = rt.pool.acquire(maskBytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, 'nm mask');
        // Edge words shared by two threads are OR-ed into a cleared buffer.
        if (mask) encoder.clearBuffer(maskBuf, 0, maskBytes);
        const imp = inputs[1] ?? inputs[0]!; // bound but unread without importance
        const bindings = [uniforms, slabBinding(inputs[0]!), slabBinding(imp), { buffer: records, size: recordBytes }, { buffer: maskBuf, size: maskBytes }];
        encodeDispatch(rt, encoder, pipeline, 'nm', bindings, grid);
        const outputs = [{ buffer: records, bytes: recordBytes }];
        if (mask) outputs.push({ buffer: maskBuf, bytes: maskBytes });
        return { outputs, release: () => rt.pool.release(uniforms, records, maskBuf) };
      },
      consume(slab: Slab, [recordData, maskData]: ArrayBuffer[]) {
        foldRecords(new Uint32Array(recordData!), new Float32Array(recordData!), Math.ceil(groupsIn(slab) / gpt), sums);
        if (mask) mask.set(new Uint8Array(maskData!, 0, slab.count), slab.start);
      },
    });
  }
  const rel = sums.sumSq > 0 ? Math.sqrt(sums.prunedSumSq / sums.sumSq) : 0;
  return { n, m, kept: sums.kept, total, rel_err: rel, sumSq: sums.sumSq, prunedSumSq: sums.prunedSumSq, importanceTotal: sums.impTotal, importanceRemoved: sums.impRemoved };
}

/** Adds thread records; NaN and Inf enter the float64 sums as the CPU's float64 sums would see them. */
function foldRecords(u: Uint32Array, f: Float32Array, threads: number, s: { kept: number; sumSq: number; prunedSumSq: number; impTotal: number; impRemoved: number }): void {
  for (let t = 0; t < threads; t++) {
    const r = t * RECORD_WORDS;
    const flags = u[r + 3]!;
    const sx = 2 ** (-2 * scaleExponent(u[r + 1]!));
    const sw = 2 ** -scaleExponent(u[r + 2]!);
    s.kept += u[r]!;
    s.sumSq += f[r + 4]! * sx + (flags & 1 ? NaN : 0) + (flags & 4 ? Infinity : 0);
    s.prunedSumSq += f[r + 5]! * sx + (flags & 2 ? NaN : 0) + (flags & 8 ? Infinity : 0);
    s.impTotal += f[r + 6]! * sw + (flags & 16 ? Infinity : 0);
    s.impRemoved += f[r + 7]! * sw + (flags & 32 ? Infinity : 0);
  }
}
