// Kernel 1 on WebGPU: wrapper of stats.wgsl. Each thread leaves a 16-word record (counts, min/max
// keys, scale exponent, centre c in units of s, and f32 sums of d^1..d^4 with d = x / s - c); here
// the records become central moments in float64 and merge pairwise with the rest (stats.ts).
import { bitsToF32, signedKeyToBits } from '../floatBits.ts';
import { emptyStats, mergeMomentsInto, type StatsPartial } from '../stats.ts';
import { bytesPerElement, type TensorData } from '../types.ts';
import { DTYPE_CODE, encodeTile, threadRecordBytes } from './encode.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import { planSlabs, runSlabs, type Slab, type SlabInput } from './slabs.ts';

/** vec4 words per thread: 1024 float32 or 2048 halves per record (about 1.5% of F32 input read back). */
const VPT = 256;
const RECORD_WORDS = 16;

export async function gpuStats(rt: GpuRuntime, x: TensorData): Promise<StatsPartial> {
  const pipeline = await rt.pipelines.get({ kernel: 'stats', constants: { DTYPE: DTYPE_CODE[x.dtype], WG: WORKGROUP_SIZE, VPT } });
  const acc = emptyStats();
  await runSlabs(rt, x, planSlabs(x.data.length, bytesPerElement(x.dtype), rt.slabBytes), {
    encode(encoder: GPUCommandEncoder, input: SlabInput, slab: Slab) {
      const { output, buffers } = encodeTile(rt, encoder, pipeline, 'stats', input, slab.count, x.dtype, {
        vpt: VPT,
        params: [0], // SlabShape's padding
        outputBytes: (grid) => threadRecordBytes(grid, RECORD_WORDS),
      });
      return { output: output.buffer, bytes: output.bytes, release: () => rt.pool.release(...buffers) };
    },
    consume(slab: Slab, data: ArrayBuffer) {
      mergeRecords(acc, new Uint32Array(data), new Float32Array(data));
      acc.numel += slab.count;
    },
  });
  return acc;
}

const moments = { mean: 0, m2: 0, m3: 0, m4: 0 };

/** Folds thread records into `acc` (everything but numel). */
function mergeRecords(acc: StatsPartial, u: Uint32Array, f: Float32Array): void {
  let minKey = 0xffffffff;
  let maxKey = 0;
  for (let r = 0; r < u.length; r += RECORD_WORDS) {
    const n = u[r]!;
    acc.zeros += u[r + 1]!;
    acc.nan += u[r + 2]!;
    acc.posinf += u[r + 3]!;
    acc.neginf += u[r + 4]!;
    if (n === 0) continue;
    if (u[r + 5]! < minKey) minKey = u[r + 5]!;
    if (u[r + 6]! > maxKey) maxKey = u[r + 6]!;
    const c = f[r + 7]!; // centre, in units of s
    const s = 2 ** (u[r + 8]! - 127);
    const s1 = f[r + 9]!, s2 = f[r + 10]!, s3 = f[r + 11]!, s4 = f[r + 12]!;
    // Sums about c -> central sums about the record's mean, then from units of s to values.
    const d = s1 / n;
    const d2 = d * d;
    const m2 = Math.max(0, s2 - n * d2);
    const m3 = s3 - 3 * d * s2 + 2 * n * d2 * d;
    const m4 = Math.max(0, s4 - 4 * d * s3 + 6 * d2 * s2 - 3 * n * d2 * d2);
    const s2s = s * s;
    mergeMomentsInto(moments, acc.count, acc.mean, acc.m2, acc.m3, acc.m4, n, (c + d) * s, m2 * s2s, m3 * s2s * s, m4 * s2s * s2s);
    acc.mean = moments.mean;
    acc.m2 = moments.m2;
    acc.m3 = moments.m3;
    acc.m4 = moments.m4;
    acc.count += n;
  }
  if (minKey !== 0xffffffff) acc.min = Math.min(acc.min, bitsToF32(signedKeyToBits(minKey)));
  if (maxKey !== 0) acc.max = Math.max(acc.max, bitsToF32(signedKeyToBits(maxKey)));
}
