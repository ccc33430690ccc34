// Kernel 2 on WebGPU: wrapper of histogram.wgsl. The spec's tables (histogram.ts) are uploaded once
// per spec and kept; each slab clears its interval counters, counts, and is read back and added.
import { histogramFromIntervals, histogramSpecKey, histogramTables, LUT_SHIFT, type Histogram, type HistogramSpec, type HistogramTables } from '../histogram.ts';
import { bytesPerElement, type TensorData } from '../types.ts';
import { BufferUsage } from './constants.ts';
import { DTYPE_CODE, encodeTile } from './encode.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import { planSlabs, runSlabs, type Slab, type SlabInput } from './slabs.ts';

const VPT = 256;

/** Table buffers per runtime and spec (a few specs are used over and over). */
const tableBuffers = new WeakMap<GpuRuntime, Map<string, GPUBuffer>>();

function tableBuffer(rt: GpuRuntime, spec: HistogramSpec, tables: HistogramTables): GPUBuffer {
  let perRt = tableBuffers.get(rt);
  if (!perRt) tableBuffers.set(rt, (perRt = new Map()));
  const key = histogramSpecKey(spec);
  let buffer = perRt.get(key);
  if (!buffer) {
    const words = new Uint32Array(tables.lut.length + tables.thresholds.length);
    words.set(tables.lut);
    words.set(tables.thresholds, tables.lut.length);
    buffer = rt.device.createBuffer({ label: `ckpt-lens histogram table ${key}`, size: words.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
    rt.device.queue.writeBuffer(buffer, 0, words);
    if (perRt.size >= 16) {
      const [oldKey, old] = perRt.entries().next().value!;
      perRt.delete(oldKey);
      old.destroy();
    }
    perRt.set(key, buffer);
  }
  return buffer;
}

export async function gpuHistogram(rt: GpuRuntime, x: TensorData, spec: HistogramSpec): Promise<Histogram> {
  const tables = histogramTables(spec);
  const intervals = new Float64Array(tables.thresholds.length + 1);
  const pipeline = await rt.pipelines.get({
    kernel: 'histogram',
    constants: { DTYPE: DTYPE_CODE[x.dtype], WG: WORKGROUP_SIZE, VPT, LOCAL_CAP: rt.localCounterCap, LUT_SHIFT },
  });
  const table = tableBuffer(rt, spec, tables);
  const counterBytes = Math.ceil((intervals.length * 4) / 16) * 16;
  const localBins = Math.min(intervals.length, rt.localCounterCap);
  await runSlabs(rt, x, planSlabs(x.data.length, bytesPerElement(x.dtype), rt.slabBytes), {
    encode(encoder: GPUCommandEncoder, input: SlabInput, slab: Slab) {
      const { output, buffers } = encodeTile(rt, encoder, pipeline, 'histogram', input, slab.count, x.dtype, {
        vpt: VPT,
        params: [tables.mode === 'magnitude' ? 1 : 0, tables.thresholds.length, localBins, 0, 0],
        tables: [table],
        outputBytes: () => counterBytes,
        clear: true,
      });
      return { output: output.buffer, bytes: counterBytes, release: () => rt.pool.release(...buffers) };
    },
    consume(_slab: Slab, data: ArrayBuffer) {
      const c = new Uint32Array(data, 0, intervals.length);
      for (let j = 0; j < c.length; j++) intervals[j] += c[j]!;
    },
  });
  return histogramFromIntervals(spec, tables, intervals);
}
