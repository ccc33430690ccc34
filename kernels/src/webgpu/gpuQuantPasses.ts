// Kernels 4-5 on WebGPU: the two passes that quantization (gpuQuant.ts) and factorization
// (gpuFactored.ts) share.
// - Pass 1 (quantReduce.wgsl): max |x|, finite count and sum of segments (blocks, rows) and of
//   columns, as per-thread partials; here they combine exactly (max on bits) or in float64 (sums)
//   into whole-tensor arrays, whatever the slab boundaries.
// - Pass 2 (quantError.wgsl): x_hat for every element, bit-equal to the CPU's, and per-thread error
//   sums in f32 over values rescaled by 2^-k; here they are added in float64, and the thread maxima
//   of |x - x_hat| that tie for the largest are recomputed exactly (the CPU formula), so
//   max_abs_err is exact.
// Both passes read the tensor: it is uploaded once when it fits the runtime's resident budget.
import type { NearestLookup } from '../codebooks.ts';
import { newQuantPartial, type QuantPartial } from '../cpu/quantMetrics.ts';
import { bitsToF32, f32Bits, halfToF32Bits, signedKey } from '../floatBits.ts';
import { bytesPerElement, type TensorData } from '../types.ts';
import { BufferUsage } from './constants.ts';
import { dispatchIn, DTYPE_CODE, encodeTile, slabBinding, threadGrid, threadRecordBytes } from './encode.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import { planSlabs, releaseInputs, runSlabs, uploadResident, type Slab, type SlabInput } from './slabs.ts';

/** Pass 1: elements per thread along a segment, rows per thread along a column, words per thread. */
const SEG_CHUNK = 1024;
const COL_CHUNK = 256;
const REDUCE_WORDS = 4;
/** Pass 2: vec4 words per thread (1024 float32 or 2048 halves per record) and record size. */
const VPT = 256;
const RECORD_WORDS = 12;
/** Segment length standing for "the whole tensor" (per-tensor scale, a vector's mean). */
export const WHOLE_SEGMENT = 1 << 20;
/** Codebooks with more distinct entries than this run on the CPU (the tables live in a uniform block). */
export const GPU_MAX_SLOTS = 256;

/** A tensor cut into slabs, possibly resident on the GPU for both passes. */
export interface QuantSlabs {
  rt: GpuRuntime;
  x: TensorData;
  slabs: Slab[];
  resident?: SlabInput[];
}

/**
 * Runs `body` over the slabs of x, sized so that every auxiliary buffer of both passes (partials,
 * tables, records, x_hat) stays within the slab size (at least 4 MiB) and the binding limit: the
 * pool then keeps them between calls. Null when the columns alone would not fit (a 2-D view
 * millions of columns wide: the CPU path takes it).
 */
export async function withQuantSlabs<T>(
  rt: GpuRuntime,
  x: TensorData,
  layout: { segLen: number; cols: number; dequantize: boolean },
  body: (q: QuantSlabs) => Promise<T>,
): Promise<T | null> {
  const limits = rt.device.limits;
  const auxLimit = Math.min(Math.max(rt.slabBytes, 4 << 20), limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  // Per slab: pass-1 column partials (16 B a column and strip) and pass-2 column tables (4 B a column).
  const fixed = 4096 + 32 * layout.cols;
  const perElement = Math.max(
    (4 * REDUCE_WORDS) / Math.min(layout.segLen, SEG_CHUNK) + (layout.cols > 0 ? (4 * REDUCE_WORDS) / COL_CHUNK : 0),
    (layout.dequantize ? 4 : 0) + (4 * RECORD_WORDS) / (VPT * 4),
  );
  const maxCount = Math.floor((auxLimit - fixed) / perElement);
  if (maxCount < SEG_CHUNK) return null;
  const bpe = bytesPerElement(x.dtype);
  const slabs = planSlabs(x.data.length, bpe, Math.min(rt.slabBytes, maxCount * bpe));
  const resident = x.data.length * bpe <= rt.residentBytes ? uploadResident(rt, x, slabs) : undefined;
  try {
    return await body({ rt, x, slabs, resident });
  } finally {
    if (resident) releaseInputs(rt, resident);
  }
}

// ---- pass 1 -------------------------------------------------------------------------------------

export interface Reduced {
  /** per segment of `segLen` elements: max |x| over finite values (float32 bits) */
  segMax: Uint32Array;
  /** per segment (when sums were asked for): float64 sum and count of the finite values */
  segSum: Float64Array;
  segCount: Float64Array;
  /** per column of the 2-D view (when `cols` > 0) */
  colMax: Uint32Array;
  colSum: Float64Array;
}

function bindingOffset(bytes: number): number {
  return Math.ceil(bytes / 256) * 256;
}

/** Pass 1 over segments of `segLen` elements and, when `cols` > 0, the columns of the 2-D view. */
export async function reducePass(q: QuantSlabs, segLen: number, cols: number, sums: boolean): Promise<Reduced> {
  const { rt, x } = q;
  const n = x.data.length;
  const segs = Math.ceil(n / segLen);
  const out: Reduced = {
    segMax: new Uint32Array(segs),
    segSum: new Float64Array(sums ? segs : 0),
    segCount: new Float64Array(sums ? segs : 0),
    colMax: new Uint32Array(cols),
    colSum: new Float64Array(cols),
  };
  const dtype = DTYPE_CODE[x.dtype];
  const SUMS = sums ? 1 : 0;
  const segPipeline = await rt.pipelines.get({ kernel: 'quantReduce', constants: { DTYPE: dtype, WG: WORKGROUP_SIZE, AXIS: 0, CHUNK: SEG_CHUNK, SUMS } });
  const colPipeline = cols > 0 ? await rt.pipelines.get({ kernel: 'quantReduce', constants: { DTYPE: dtype, WG: WORKGROUP_SIZE, AXIS: 1, CHUNK: COL_CHUNK, SUMS } }) : null;
  const chunks = Math.ceil(segLen / SEG_CHUNK);

  // What each slab's dispatches cover, for encode and consume alike.
  const shape = (slab: Slab) => {
    const seg0 = Math.floor(slab.start / segLen);
    const pos0 = slab.start - seg0 * segLen;
    const last = pos0 + slab.count - 1;
    const lastSeg = Math.floor(last / segLen);
    const firstChunk = Math.floor(pos0 / SEG_CHUNK);
    const segThreads = lastSeg * chunks + Math.floor((last - lastSeg * segLen) / SEG_CHUNK) - firstChunk + 1;
    const colPos0 = cols > 0 ? slab.start % cols : 0;
    const colThreads = cols > 0 ? Math.ceil((Math.floor((colPos0 + slab.count - 1) / cols) + 1) / COL_CHUNK) * cols : 0;
    const colOffset = bindingOffset(segThreads * REDUCE_WORDS * 4);
    return { seg0, pos0, firstChunk, segThreads, colPos0, colThreads, colOffset, bytes: colOffset + colThreads * REDUCE_WORDS * 4 };
  };

  await runSlabs(rt, x, q.slabs, {
    encode(encoder: GPUCommandEncoder, input: SlabInput, slab: Slab) {
      const s = shape(slab);
      const output = rt.pool.acquire(s.bytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC, 'quant reduce partials');
      const uniforms: GPUBuffer[] = [];
      const pass = encoder.beginComputePass({ label: 'ckpt-lens quant reduce' });
      const dispatch = (pipeline: GPUComputePipeline, threads: number, words: number[], offset: number, label: string) => {
        const grid = threadGrid(rt, threads);
        const u = rt.uniforms([slab.count, grid.x, ...words, threads, 0], `quant reduce ${label} params`);
        uniforms.push(u);
        dispatchIn(rt, pass, pipeline, `quant reduce ${label}`, [u, slabBinding(input), { buffer: output, offset, size: threads * REDUCE_WORDS * 4 }], grid);
      };
      dispatch(segPipeline, s.segThreads, [segLen, s.pos0, chunks, s.firstChunk], 0, 'segments');
      if (colPipeline) dispatch(colPipeline, s.colThreads, [cols, s.colPos0, 0, 0], s.colOffset, 'columns');
      pass.end();
      return { output, bytes: s.bytes, release: () => rt.pool.release(output, ...uniforms) };
    },
    consume(slab: Slab, data: ArrayBuffer) {
      const s = shape(slab);
      const u = new Uint32Array(data);
      for (let t = 0; t < s.segThreads; t++) {
        const g = s.seg0 + Math.floor((t + s.firstChunk) / chunks);
        const o = t * REDUCE_WORDS;
        if (u[o]! > out.segMax[g]!) out.segMax[g] = u[o]!;
        if (sums) {
          out.segCount[g] += u[o + 1]!;
          out.segSum[g] += fixedSum(u, o);
        }
      }
      for (let t = 0; t < s.colThreads; t++) {
        const c = t % cols;
        const o = s.colOffset / 4 + t * REDUCE_WORDS;
        if (u[o]! > out.colMax[c]!) out.colMax[c] = u[o]!;
        if (sums) out.colSum[c] += fixedSum(u, o);
      }
    },
  }, q.resident);
  return out;
}

/** A thread's fixed-point sum (quantReduce.wgsl): a signed 64-bit integer in units of 2^(e - 179). */
function fixedSum(u: Uint32Array, o: number): number {
  const units = (u[o + 3]! | 0) * 4294967296 + u[o + 2]!;
  return units === 0 ? 0 : units * 2 ** (Math.max(u[o]! >>> 23, 1) - 179);
}

// ---- pass 2 -------------------------------------------------------------------------------------

export type ErrorMode = 'block' | 'rank1' | 'factored' | 'constant';
const MODE_CODE: Record<ErrorMode, number> = { block: 0, rank1: 1, factored: 2, constant: 3 };

export interface ErrorSpec {
  mode: ErrorMode;
  /** block size, or columns of the 2-D view (rank1, factored) */
  segLen: number;
  /** per segment, whole tensor: scale bits (block, rank1) or [hi, lo] bits (factored) */
  segWords: Uint32Array;
  wordsPerSeg: 1 | 2;
  /** per column: scale bits (rank1) or factor bits (factored) */
  colWords: Uint32Array;
  /** constant: the estimate */
  constValue: number;
  /** block, rank1: the codebook lookup (at most GPU_MAX_SLOTS distinct entries) */
  lookup: NearestLookup | null;
  secondMoment: boolean;
  dequantized?: Float32Array;
  /** 2^k >= every |x| and |x_hat| (see scaleExponent) */
  k: number;
  /** |x - x_hat| of element i (finite x), computed as the CPU does: settles the maximum exactly */
  exactError(i: number): number;
  /** tests: quantize through the integer paths only (see EXACT in quantError.wgsl) */
  forceExact?: boolean;
}

/** The smallest k with 2^k >= m (0 for m = 0). */
export function scaleExponent(m: number): number {
  if (!(m > 0)) return 0;
  let k = Math.ceil(Math.log2(m));
  while (2 ** k < m) k++;
  while (2 ** (k - 1) >= m) k--;
  return k;
}

/** Signed keys of the decision thresholds (padded to a power of two) and the slot values, as words. */
function codebookTables(lookup: NearestLookup | null): { th: number[]; tv: number[]; search: number } {
  const th = new Array<number>(GPU_MAX_SLOTS).fill(0xffffffff);
  const tv = new Array<number>(GPU_MAX_SLOTS).fill(0);
  if (!lookup) return { th, tv, search: 0 };
  const slots = lookup.slotValue.length;
  if (slots > GPU_MAX_SLOTS) throw new RangeError(`internal: ${slots} codebook slots exceed the GPU tables`);
  for (let j = 0; j + 1 < slots; j++) th[j] = signedKey(f32Bits(lookup.threshold[j]!));
  for (let j = 0; j < slots; j++) tv[j] = f32Bits(lookup.slotValue[j]!);
  let search = 0;
  while (1 << search < slots - 1) search++;
  return { th, tv, search };
}

/** Pass 2: the error sums of the reconstruction described by `spec`, in float64. */
export async function errorPass(q: QuantSlabs, spec: ErrorSpec): Promise<QuantPartial> {
  const { rt, x } = q;
  const bpe = bytesPerElement(x.dtype);
  const epv = 16 / bpe;
  const tables = codebookTables(spec.lookup);
  const deq = spec.dequantized;
  const pipeline = await rt.pipelines.get({
    kernel: 'quantError',
    constants: {
      DTYPE: DTYPE_CODE[x.dtype],
      WG: WORKGROUP_SIZE,
      VPT,
      MODE: MODE_CODE[spec.mode],
      SECOND: spec.secondMoment ? 1 : 0,
      DEQ: deq ? 1 : 0,
      SEARCH: tables.search,
      EXACT: spec.forceExact ? 1 : 0,
    },
  });
  const S = spec.segLen;
  const w = spec.wordsPerSeg;
  const cols = spec.colWords.length;
  const stepElements = WORKGROUP_SIZE * epv;
  // h(v) = 1 / (sqrt(v) + 1e-6) lies in [2^-k/2, 1e6]: for huge tensors sum it times a power of two.
  const gain = 2 ** Math.max(0, Math.ceil(spec.k / 2) - 40);
  const acc = newQuantPartial();
  let hnan = 0;
  // The largest thread maximum of the rescaled |x - x_hat| (float32 bits), and where it was seen:
  // single elements, or whole thread slices where several elements tied at the thread's maximum.
  let best = 0;
  let candidates: number[] = [];
  let slices: { slab: Slab; thread: number }[] = [];

  const layout = (slab: Slab) => {
    const seg0 = Math.floor(slab.start / S);
    const pos0 = slab.start - seg0 * S;
    const segs = Math.floor((pos0 + slab.count - 1) / S) + 1;
    const recBase = deq ? Math.ceil(slab.count / 4) * 4 : 0;
    return { seg0, pos0, segs, recBase };
  };

  await runSlabs(rt, x, q.slabs, {
    encode(encoder: GPUCommandEncoder, input: SlabInput, slab: Slab) {
      const l = layout(slab);
      // This slab's segments, then the columns.
      const tab = new Uint32Array(Math.max(4, l.segs * w + cols));
      tab.set(spec.segWords.subarray(l.seg0 * w, (l.seg0 + l.segs) * w));
      tab.set(spec.colWords, l.segs * w);
      const tabBuffer = rt.pool.acquire(tab.byteLength, BufferUsage.STORAGE | BufferUsage.COPY_DST, 'quant tables');
      rt.device.queue.writeBuffer(tabBuffer, 0, tab);
      const { output, buffers } = encodeTile(rt, encoder, pipeline, 'quant error', input, slab.count, x.dtype, {
        vpt: VPT,
        // after n, vecs, groups_x: the rest of quantError.wgsl's Params
        params: [
          S, l.pos0, l.segs * w, Math.floor(stepElements / S), stepElements % S,
          spec.k >>> 0, f32Bits(gain), f32Bits(spec.constValue), l.recBase,
          0, 0, 0, 0,
          ...tables.th, ...tables.tv,
        ],
        tables: [{ buffer: tabBuffer, size: tab.byteLength }],
        outputBytes: (grid) => l.recBase * 4 + threadRecordBytes(grid, RECORD_WORDS),
      });
      return { output: output.buffer, bytes: output.bytes, release: () => rt.pool.release(tabBuffer, ...buffers) };
    },
    consume(slab: Slab, data: ArrayBuffer) {
      const l = layout(slab);
      if (deq) deq.set(new Float32Array(data, 0, slab.count), slab.start);
      const u = new Uint32Array(data, l.recBase * 4);
      const f = new Float32Array(data, l.recBase * 4);
      for (let r = 0; r < u.length; r += RECORD_WORDS) {
        const count = u[r]!;
        acc.nonfinite += u[r + 1]!;
        if (count === 0) continue;
        acc.count += count;
        acc.zeros += u[r + 2]!;
        hnan += u[r + 3]!;
        const m = u[r + 4]!;
        if (m > best) {
          best = m;
          candidates = [];
          slices = [];
        }
        if (m === best) {
          if (u[r + 10]! > 1) slices.push({ slab, thread: r / RECORD_WORDS });
          else candidates.push(slab.start + u[r + 5]!);
        }
        acc.sumSq += f[r + 6]!;
        acc.errSq += f[r + 7]!;
        acc.hSq += f[r + 8]!;
        acc.hErrSq += f[r + 9]!;
      }
    },
  }, q.resident);

  const unscale = 2 ** (2 * spec.k);
  acc.sumSq *= unscale;
  acc.errSq *= unscale;
  acc.hSq /= gain * gain;
  acc.hErrSq /= gain * gain;
  // The CPU's h sums become NaN for a negative v (or factor); its ratio then reads 0. Same here.
  if (hnan > 0) acc.hSq = acc.hErrSq = NaN;
  // Below the float32 range once rescaled, every error is negligible: 0 is the answer within 2^-126.
  if (best > 0) {
    for (const i of candidates) acc.maxAbsErr = Math.max(acc.maxAbsErr, spec.exactError(i));
    for (const { slab, thread } of slices) {
      forThreadSlice(slab, thread, bpe, (e) => {
        if (Number.isFinite(elementValue(x, e))) acc.maxAbsErr = Math.max(acc.maxAbsErr, spec.exactError(e));
      });
    }
  }
  return acc;
}

/** Calls f(i) for every element (tensor index) that thread `thread` of pass 2 read in `slab`. */
function forThreadSlice(slab: Slab, thread: number, bpe: number, f: (i: number) => void): void {
  const epv = 16 / bpe;
  const group = Math.floor(thread / WORKGROUP_SIZE);
  const firstVec = group * WORKGROUP_SIZE * VPT + (thread - group * WORKGROUP_SIZE);
  for (let j = 0; j < VPT; j++) {
    const e0 = (firstVec + j * WORKGROUP_SIZE) * epv;
    for (let k = 0; k < epv && e0 + k < slab.count; k++) f(slab.start + e0 + k);
  }
}

/** Element i of x as a float32 value. */
export function elementValue(x: TensorData, i: number): number {
  const h = x.data[i]!;
  if (x.dtype === 'F32') return h;
  return bitsToF32(x.dtype === 'BF16' ? h << 16 : halfToF32Bits(h));
}
