// Kernel 6 on WebGPU: wrapper of profiles.wgsl. Per slab, one dispatch writes a record per row piece
// and one per column piece; here the records are folded into the profiles: maxima on float bits
// (exact, any slab cut), sums of squares unscaled and added in float64.
import { newProfileAccumulator, finishProfiles, type Profiles } from '../cpu/profiles.ts';
import { bytesPerElement, type TensorData } from '../types.ts';
import { BufferUsage } from './constants.ts';
import { DTYPE_CODE, encodeDispatch, slabBinding, threadGrid } from './encode.ts';
import { roundBytes, runMultiSlabs } from './multiSlabs.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import { planSlabs, type Slab, type SlabInput } from './slabs.ts';

/** Elements per row piece and rows per column piece: records are about 1/1024 and 1/256 of the input. */
const ROW_SPAN = 1024;
const COL_SPAN = 256;

/** common.wgsl scale_exponent (profiles, N:M): k with max * 2^k near 1, clamped so 2^k and the squares stay normal. */
export function scaleExponent(maxBits: number): number {
  return Math.min(126, Math.max(-100, 127 - (maxBits >>> 23)));
}

/** The slab's pieces: which rows it touches and how the threads map onto them. */
interface SlabLayout {
  row0: number;
  firstCol: number;
  rowsLocal: number;
  segs: number;
  firstSeg: number;
  rowThreads: number;
  firstColumn: number;
  width: number;
  colThreads: number;
}

function layout(slab: Slab, cols: number): SlabLayout {
  const row0 = Math.floor(slab.start / cols);
  const firstCol = slab.start - row0 * cols;
  const lastExt = firstCol + slab.count - 1;
  const rowsLocal = Math.floor(lastExt / cols) + 1;
  const segs = Math.ceil(cols / ROW_SPAN);
  const segOf = (ext: number) => Math.floor(ext / cols) * segs + Math.floor((ext % cols) / ROW_SPAN);
  const firstSeg = segOf(firstCol);
  const oneRow = rowsLocal === 1;
  const width = oneRow ? slab.count : cols;
  return {
    row0, firstCol, rowsLocal, segs, firstSeg,
    rowThreads: segOf(lastExt) - firstSeg + 1,
    firstColumn: oneRow ? firstCol : 0,
    width,
    colThreads: width * Math.ceil(rowsLocal / COL_SPAN),
  };
}

export async function gpuProfiles(rt: GpuRuntime, x: TensorData, rows: number, cols: number, opts: { l2?: boolean } = {}): Promise<Profiles> {
  const n = x.data.length;
  if (n !== rows * cols) throw new RangeError(`tensor of ${n} elements does not fill a ${rows} x ${cols} view`);
  const l2 = opts.l2 ?? false;
  const acc = newProfileAccumulator(rows, cols, l2);
  if (n === 0) return finishProfiles(acc);
  const rowKey = new Uint32Array(rows);
  const colKey = new Uint32Array(cols);
  const words = l2 ? 2 : 1;
  const constants = { DTYPE: DTYPE_CODE[x.dtype], WG: WORKGROUP_SIZE };
  const [rowPipe, colPipe] = await Promise.all([0, 1].map((AXIS) => rt.pipelines.get({ kernel: 'profiles', constants: { ...constants, AXIS } })));
  // A slab's records can number one per element (a vector's rows, a 1 x n's columns): size slabs so
  // the records fit a binding too.
  const slabs = planSlabs(n, Math.max(bytesPerElement(x.dtype), 4 * words), rt.slabBytes);
  const layouts = slabs.map((s) => layout(s, cols));

  await runMultiSlabs(rt, [x], slabs, {
    encode(encoder: GPUCommandEncoder, [input]: SlabInput[], slab: Slab) {
      const L = layouts[slab.index]!;
      const release: GPUBuffer[] = [];
      const dispatch = (pipeline: GPUComputePipeline, threads: number, span: number, first: number, label: string) => {
        const grid = threadGrid(rt, threads);
        const uniforms = rt.uniforms([slab.count, cols, L.firstCol, grid.x, threads, span, L.segs, first, L.width, L.rowsLocal, l2 ? 1 : 0, 0], `profiles ${label} params`);
        const bytes = roundBytes(threads * words * 4);
        const records = rt.pool.acquire(bytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC, `profiles ${label} records`);
        release.push(uniforms, records);
        encodeDispatch(rt, encoder, pipeline, `profiles ${label}`, [uniforms, slabBinding(input!), { buffer: records, size: bytes }], grid);
        return { buffer: records, bytes };
      };
      const outputs = [
        dispatch(rowPipe!, L.rowThreads, ROW_SPAN, L.firstSeg, 'rows'),
        dispatch(colPipe!, L.colThreads, COL_SPAN, L.firstColumn, 'columns'),
      ];
      return { outputs, release: () => rt.pool.release(...release) };
    },
    consume(slab: Slab, [rowData, colData]: ArrayBuffer[]) {
      const L = layouts[slab.index]!;
      const r = new Uint32Array(rowData!);
      for (let t = 0; t < L.rowThreads; t++) {
        const row = L.row0 + Math.floor((t + L.firstSeg) / L.segs);
        fold(r, t, words, rowKey, row, acc.rowSumSq);
      }
      const c = new Uint32Array(colData!);
      for (let t = 0; t < L.colThreads; t++) fold(c, t, words, colKey, L.firstColumn + (t % L.width), acc.colSumSq);
    },
  });
  acc.rowMaxAbs.set(new Float32Array(rowKey.buffer));
  acc.colMaxAbs.set(new Float32Array(colKey.buffer));
  return finishProfiles(acc);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Folds record t into entry `at` of the profile (max as bits; the scaled f32 sum unscaled, in float64). */
function fold(rec: Uint32Array, t: number, words: number, keys: Uint32Array, at: number, sums: Float64Array | undefined): void {
  const max = rec[t * words]!;
  if (max > keys[at]!) keys[at] = max;
  if (!sums) return;
  u32[0] = rec[t * words + 1]!;
  const s = f32[0]!;
  if (s !== 0) sums[at] += s * 2 ** (-2 * scaleExponent(max));
}
