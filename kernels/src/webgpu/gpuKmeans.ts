// 1-D k-means (cpu/kmeans.ts, ExCP's quantizer) on WebGPU. The passes over the data run on the
// device; the small steps between them run on the host with the CPU reference's own code:
//   1. range (kmeansRange.wgsl): selected count, NaN/Inf count, smallest and largest key;
//   2. fine histogram (kmeansHistogram.wgsl): per bin the count and the sum as an exact integer, so
//      the host holds the very float64 bin sums the CPU adds up;
//   3. host: merge, dynamic programming, Lloyd on the bins, rounding (kmeans.ts); the optional exact
//      Lloyd passes (refinePasses) also run here, over the gathered values, because their in-order
//      float64 sums per centroid cannot be reproduced on the device;
//   4. codes and squared errors (kmeansAssign.wgsl), against the CPU's decision thresholds.
// So centroids and codes are the CPU's, bit for bit, and sse agrees to ~1e-12 relative (the CPU adds
// float64 squares in order; the GPU sums integer-exact squares to 2^-38). The CPU takes the calls
// where a selected value is NaN/Inf (it names the element) and those with at most k selected values.
// The tensor (and the mask) stay on the device between the passes when they fit `residentBytes`.
import { centroidsFromHistogram, checkKMeansOptions, gather, histogramGeometry, kmeans1d, lookupOf, nonemptyBins, refineOnValues, roundCentroids, type KMeansOptions, type KMeansResult, type Range, type WeightedPoints } from '../cpu/kmeans.ts';
import { bitsToF32, f32Bits, signedKey } from '../floatBits.ts';
import { float32Values } from '../float32View.ts';
import { bytesPerElement, type TensorData } from '../types.ts';
import { BufferUsage } from './constants.ts';
import { DTYPE_CODE, encodeDispatch, encodeTile, slabBinding, threadRecordBytes, tileGrid, vec4Words } from './encode.ts';
import { MaskSlabs } from './maskSlabs.ts';
import { runMultiSlabs, type SlabOutput, type SlabSource } from './multiSlabs.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import { planSlabs, releaseInputs, uploadResident, type Slab, type SlabInput } from './slabs.ts';

/** vec4 words per thread: at most 2048 elements, within the assign pass's fixed-point headroom. */
const VPT = 256;
/** Centroid slots the assign pass's tables hold (k <= 255). */
const MAX_SLOTS = 256;
const HIST_WORDS = 3;

interface Pass {
  rt: GpuRuntime;
  x: TensorData;
  slabs: Slab[];
  source: SlabSource;
  masks: MaskSlabs;
  constants: Record<string, number>;
}

export async function gpuKmeans(rt: GpuRuntime, x: TensorData, opts: KMeansOptions): Promise<KMeansResult> {
  const n = x.data.length;
  checkKMeansOptions(n, opts);
  const onCpu = () => kmeans1d(float32Values(x), opts);
  if (n === 0) return onCpu();
  const slabs = planSlabs(n, bytesPerElement(x.dtype), rt.slabBytes);
  const resident = n * bytesPerElement(x.dtype) + (opts.mask ? n : 0) <= rt.residentBytes;
  const inputs = resident ? uploadResident(rt, x, slabs) : undefined;
  const masks = new MaskSlabs(rt, opts.mask, slabs, resident);
  const pass: Pass = { rt, x, slabs, source: inputs ?? x, masks, constants: { DTYPE: DTYPE_CODE[x.dtype], WG: WORKGROUP_SIZE, VPT, HAS_MASK: opts.mask ? 1 : 0 } };
  try {
    const r = await rangePass(pass);
    if (r.nonFinite > 0 || r.count <= opts.k) return onCpu();
    const range: Range = { min: keyValue(r.minKey), max: keyValue(r.maxKey) };
    let centroids = centroidsFromHistogram(await histogramPass(pass, range), r.count, range, opts.k);
    if (opts.refinePasses) centroids = refineOnValues(gather(float32Values(x), opts.mask), centroids, opts.refinePasses);
    const stored = roundCentroids(centroids, opts.centroidDtype ?? 'f32');
    const { codes, sse } = await assignPass(pass, stored);
    return { centroids: stored, codes, sse, count: r.count };
  } finally {
    if (inputs) releaseInputs(rt, inputs);
    masks.dispose();
  }
}

/** The float32 value of an order key (kmeans.ts keyOf + 2^31). */
function keyValue(key: number): number {
  return bitsToF32(key >= 0x80000000 ? key & 0x7fffffff : ~key >>> 0);
}

/** Runs one pass over every slab: `encode` gets the slab's input and mask bindings. */
function overSlabs(p: Pass, encode: (encoder: GPUCommandEncoder, input: SlabInput, mask: GPUBufferBinding, slab: Slab) => { outputs: SlabOutput[]; buffers: GPUBuffer[] }, consume: (slab: Slab, data: ArrayBuffer[]) => void): Promise<void> {
  return runMultiSlabs(p.rt, [p.source], p.slabs, {
    encode(encoder, [input], slab) {
      const mask = p.masks.bind(slab);
      const { outputs, buffers } = encode(encoder, input!, mask.binding, slab);
      return { outputs, release: () => p.rt.pool.release(...buffers, ...mask.release) };
    },
    consume,
  });
}

// ---- 1. range ----

interface Selection {
  count: number;
  nonFinite: number;
  minKey: number;
  maxKey: number;
}

async function rangePass(p: Pass): Promise<Selection> {
  const pipeline = await p.rt.pipelines.get({ kernel: 'kmeansRange', constants: p.constants });
  const out: Selection = { count: 0, nonFinite: 0, minKey: 0xffffffff, maxKey: 0 };
  await overSlabs(
    p,
    (encoder, input, mask, slab) => {
      const { output, buffers } = encodeTile(p.rt, encoder, pipeline, 'kmeans range', input, slab.count, p.x.dtype, { vpt: VPT, params: [0], tables: [mask], outputBytes: (grid) => threadRecordBytes(grid, 4) });
      return { outputs: [output], buffers };
    },
    (_slab, [data]) => {
      const u = new Uint32Array(data!);
      for (let r = 0; r < u.length; r += 4) {
        if (u[r] === 0) continue;
        out.count += u[r]!;
        out.nonFinite += u[r + 1]!;
        out.minKey = Math.min(out.minKey, u[r + 2]!);
        out.maxKey = Math.max(out.maxKey, u[r + 3]!);
      }
    },
  );
  return out;
}

// ---- 2. fine histogram ----

/**
 * Exponent field (at least 1) of the smallest magnitude that bin `bin` can hold: the bin's sums are
 * in units of 2^(that - 150). Mirrors kmeansHistogram.wgsl bin_unit_exponent.
 */
function binUnitExponent(kMinKey: number, shift: number, bin: number): number {
  const lo = kMinKey + bin * 2 ** shift;
  const hi = lo + 2 ** shift - 1;
  const mag = lo >= 0x80000000 ? lo - 0x80000000 : hi < 0x80000000 ? 0x7fffffff - hi : 0;
  return Math.max(1, mag >>> 23);
}

async function histogramPass(p: Pass, range: Range): Promise<WeightedPoints> {
  const { rt } = p;
  const { kMin, shift, bins } = histogramGeometry(range);
  const kMinKey = (kMin ^ 0x80000000) >>> 0;
  const pipeline = await rt.pipelines.get({ kernel: 'kmeansHistogram', constants: p.constants });
  const histBytes = bins * HIST_WORDS * 4;
  const hist = rt.pool.acquire(histBytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, 'kmeans histogram');
  const count = new Float64Array(bins);
  const sum = new Float64Array(bins);
  const last = p.slabs.length - 1;
  try {
    await overSlabs(
      p,
      (encoder, input, mask, slab) => {
        if (slab.index === 0) encoder.clearBuffer(hist, 0, histBytes);
        const vecs = vec4Words(slab.count, p.x.dtype);
        const grid = tileGrid(rt, vecs, VPT);
        const uniforms = rt.uniforms([slab.count, vecs, grid.x, kMinKey, shift, 0, 0, 0], 'kmeans histogram params');
        encodeDispatch(rt, encoder, pipeline, 'kmeans histogram', [uniforms, slabBinding(input), mask, { buffer: hist, size: histBytes }], grid);
        // The bins add up on the device; read them once, after the last slab.
        return { outputs: slab.index === last ? [{ buffer: hist, bytes: histBytes }] : [], buffers: [uniforms] };
      },
      (slab, data) => {
        if (slab.index !== last) return;
        const u = new Uint32Array(data[0]!, 0, bins * HIST_WORDS);
        for (let b = 0; b < bins; b++) {
          const c = u[HIST_WORDS * b]!;
          if (c === 0) continue;
          count[b] = c;
          // a 64-bit two's complement integer, below 2^53 in magnitude for any bin of fewer than 2^28 values
          const units = (u[HIST_WORDS * b + 2]! | 0) * 4294967296 + u[HIST_WORDS * b + 1]!;
          sum[b] = units * 2 ** (binUnitExponent(kMinKey, shift, b) - 150);
        }
      },
    );
  } finally {
    rt.pool.release(hist);
  }
  return nonemptyBins(count, sum);
}

// ---- 4. codes and squared errors ----

/**
 * The assign pass's table (kmeansAssign.wgsl): the signed keys of the CPU's decision thresholds
 * (padded with 0xffffffff, which no finite key reaches) and the centroid of each slot, as bits;
 * `search` is log2 of the thresholds searched.
 */
function centroidTable(centroids: Float32Array): { words: Uint32Array<ArrayBuffer>; search: number } {
  const lookup = lookupOf(centroids); // throws, as on the CPU, for a centroid that rounded to +-Inf
  const slots = lookup.slotValue.length;
  const words = new Uint32Array(2 * MAX_SLOTS).fill(0xffffffff, 0, MAX_SLOTS);
  for (let j = 0; j + 1 < slots; j++) words[j] = signedKey(f32Bits(lookup.threshold[j]!));
  for (let j = 0; j < slots; j++) words[MAX_SLOTS + j] = f32Bits(lookup.slotValue[j]!);
  let search = 0;
  while (1 << search < slots - 1) search++;
  return { words, search };
}

async function assignPass(p: Pass, centroids: Float32Array): Promise<{ codes: Uint8Array; sse: number }> {
  const { rt, x } = p;
  const table = centroidTable(centroids);
  const pipeline = await rt.pipelines.get({ kernel: 'kmeansAssign', constants: { ...p.constants, SEARCH: table.search } });
  const tab = rt.pool.acquire(table.words.byteLength, BufferUsage.STORAGE | BufferUsage.COPY_DST, 'kmeans centroids');
  rt.device.queue.writeBuffer(tab, 0, table.words);
  const codes = new Uint8Array(x.data.length);
  let sse = 0;
  // the output: a word of 4 codes per 4 elements of the slab's vec4 words, then the records
  const recordBase = (slab: Slab) => (vec4Words(slab.count, x.dtype) * 4) / bytesPerElement(x.dtype);
  try {
    await overSlabs(
      p,
      (encoder, input, mask, slab) => {
        const base = recordBase(slab);
        const { output, buffers } = encodeTile(rt, encoder, pipeline, 'kmeans assign', input, slab.count, x.dtype, {
          vpt: VPT,
          params: [base],
          tables: [mask, tab],
          outputBytes: (grid) => base * 4 + threadRecordBytes(grid, 4),
        });
        return { outputs: [output], buffers };
      },
      (slab, [data]) => {
        codes.set(new Uint8Array(data!, 0, slab.count), slab.start);
        const u = new Uint32Array(data!);
        const e = new Int32Array(data!);
        for (let r = recordBase(slab); r + 4 <= u.length; r += 4) {
          if (u[r] !== 0 || u[r + 1] !== 0) sse += (u[r + 1]! * 4294967296 + u[r]!) * 2 ** e[r + 2]!;
        }
      },
    );
  } finally {
    rt.pool.release(tab);
  }
  return { codes, sse };
}
