// Kernel 8 on WebGPU: ExCP's element-wise step (excp.ts) in three steps, within four storage
// buffers per dispatch:
//   1. per slab: dW = fround(W - R) (excpResidual.wgsl) and the sums of v and |m| (fixedSum.wgsl);
//   2. the lower median of |dW| by radix selection (gpuSelect.ts) over the dW slabs;
//   3. per slab: both masks, the pruned residual in place, kept counts (excpMask.wgsl).
// Thresholds are computed here from the median and the float64 means with excp.ts's own functions,
// so they are the CPU's float32 values whenever the means agree (they do to ~1e-11 relative).
// dW (and m) stay on the GPU between the steps when they fit the runtime's resident budget;
// otherwise dW is read back after step 1 and uploaded again for steps 2 and 3.
import { checkExcpInputs, excpStep, momentThreshold, thresholdBits, vGuidedThreshold, type ExcpOptions, type ExcpStepResult } from '../cpu/excp.ts';
import { float32Values } from '../float32View.ts';
import { lowerMedianRank } from '../select.ts';
import { bytesPerElement, type KernelDType, type TensorData } from '../types.ts';
import { BufferUsage } from './constants.ts';
import { DTYPE_CODE, encodeDispatch, slabBinding, tileGrid } from './encode.ts';
import { emptyFixedSum, encodeFixedSum, fixedSumPipeline, fixedSumValue, foldFixedSum, type FixedSum } from './gpuFixedSum.ts';
import { gpuSelect, gpuSelectOnSlabs } from './gpuSelect.ts';
import { roundBytes, runMultiSlabs, type SlabOutput, type SlabSource } from './multiSlabs.ts';
import { WORKGROUP_SIZE, type GpuRuntime } from './runtime.ts';
import { planSlabs, releaseInputs, uploadResident, type Slab, type SlabInput } from './slabs.ts';

/** Quads (4 elements) per thread in the residual and mask kernels. */
const VPT = 256;
const RESIDUAL_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

export async function gpuExcp(rt: GpuRuntime, w: TensorData, r: TensorData, m: TensorData | undefined, v: TensorData | undefined, opts: ExcpOptions = {}): Promise<ExcpStepResult> {
  const n = w.data.length;
  checkExcpInputs(n, r.data.length, m?.data.length, v?.data.length, opts);
  if (n === 0) return excpStep(new Float32Array(0), new Float32Array(0), m && float32Values(m), v && float32Values(v), opts);
  const vGuided = opts.weightThreshold === undefined;

  const slabs = planSlabs(n, 4, rt.slabBytes); // dW is float32 whatever the inputs
  const residentBytes = n * 4 + (m ? n * bytesPerElement(m.dtype) : 0);
  const resident = residentBytes <= rt.residentBytes;
  const residual = new Float32Array(n);
  const dBuffers: GPUBuffer[] = [];
  const mResident = m && resident ? uploadResident(rt, m, slabs) : undefined;
  try {
    // Step 1.
    const sumV = emptyFixedSum();
    const sumM = emptyFixedSum();
    await residualAndSums(rt, slabs, { w, r, v: vGuided ? v : undefined, m, mSource: mResident ?? m }, resident, dBuffers, residual, sumV, sumM);
    const dInputs: SlabInput[] = dBuffers.map((buffer, i) => ({ buffer, bindBytes: roundBytes(slabs[i]!.count * 4) }));

    // Step 2 and the thresholds.
    let median = NaN, meanV = NaN, thresholdW: number;
    if (!vGuided) thresholdW = Math.fround(opts.weightThreshold!);
    else {
      median = opts.medianAbsResidual ?? (await medianAbs(rt, residual, slabs, resident ? dInputs : undefined));
      meanV = fixedSumValue(sumV) / n;
      thresholdW = vGuidedThreshold(n, median, meanV, opts.alpha);
    }
    const meanAbsM = m ? fixedSumValue(sumM) / n : NaN;
    const thresholdM = m ? momentThreshold(meanAbsM, opts.beta) : undefined;

    // Step 3.
    const mIn = m && { source: mResident ?? m, dtype: m.dtype };
    const masks = await maskStep(rt, slabs, resident ? dInputs : { dtype: 'F32', data: residual }, mIn, residual, thresholdW, thresholdM);
    const out: ExcpStepResult = { numel: n, residual, weightMask: masks.weightMask, keptW: masks.keptW, thresholdW, medianAbsResidual: median, meanV, meanAbsM: NaN };
    if (m) Object.assign(out, { momentMask: masks.momentMask, keptM: masks.keptM, thresholdM, meanAbsM });
    return out;
  } finally {
    for (const b of dBuffers) rt.pool.release(b);
    if (mResident) releaseInputs(rt, mResident);
  }
}

async function medianAbs(rt: GpuRuntime, residual: Float32Array, slabs: Slab[], resident: SlabInput[] | undefined): Promise<number> {
  const x: TensorData = { dtype: 'F32', data: residual }; // with resident slabs, only its dtype and length are used
  const rank = lowerMedianRank(residual.length);
  return (resident ? await gpuSelectOnSlabs(rt, x, rank, slabs, resident) : await gpuSelect(rt, x, rank)).value;
}

interface StepInputs {
  w: TensorData;
  r: TensorData;
  /** summed for mean(v) when the weight threshold is v-guided */
  v: TensorData | undefined;
  m: TensorData | undefined;
  mSource: SlabSource | undefined;
}

/**
 * Step 1: dW per slab into `dBuffers` (kept, resident) or into `residual` (read back), and the sums
 * of v and |m|.
 */
async function residualAndSums(rt: GpuRuntime, slabs: Slab[], x: StepInputs, resident: boolean, dBuffers: GPUBuffer[], residual: Float32Array, sumV: FixedSum, sumM: FixedSum): Promise<void> {
  const residualPipe = await rt.pipelines.get({ kernel: 'excpResidual', constants: { DT_W: DTYPE_CODE[x.w.dtype], DT_R: DTYPE_CODE[x.r.dtype], WG: WORKGROUP_SIZE, VPT } });
  const vPipe = x.v && (await fixedSumPipeline(rt, x.v.dtype, false));
  const mPipe = x.m && (await fixedSumPipeline(rt, x.m.dtype, true));
  const sources: SlabSource[] = [x.w, x.r];
  if (x.v) sources.push(x.v);
  if (x.mSource) sources.push(x.mSource);
  await runMultiSlabs(rt, sources, slabs, {
    encode(encoder: GPUCommandEncoder, inputs: SlabInput[], slab: Slab) {
      const quads = Math.ceil(slab.count / 4);
      const dBytes = roundBytes(slab.count * 4);
      const d = rt.pool.acquire(dBytes, RESIDUAL_USAGE, 'excp residual');
      if (resident) dBuffers[slab.index] = d;
      const grid = tileGrid(rt, quads, VPT);
      const uniforms = rt.uniforms([slab.count, quads, grid.x, 0], 'excp residual params');
      const release: GPUBuffer[] = [uniforms];
      encodeDispatch(rt, encoder, residualPipe, 'excp residual', [uniforms, slabBinding(inputs[0]!), slabBinding(inputs[1]!), { buffer: d, size: dBytes }], grid);
      const outputs: SlabOutput[] = [];
      let next = 2;
      for (const [pipe, t] of [[vPipe, x.v], [mPipe, x.m]] as const) {
        if (!pipe || !t) continue;
        const s = encodeFixedSum(rt, encoder, pipe, inputs[next++]!, slab.count, t.dtype);
        outputs.push(s.output);
        release.push(...s.buffers);
      }
      if (!resident) {
        outputs.push({ buffer: d, bytes: slab.count * 4 });
        release.push(d);
      }
      return { outputs, release: () => rt.pool.release(...release) };
    },
    consume(slab: Slab, data: ArrayBuffer[]) {
      let next = 0;
      if (x.v) foldFixedSum(sumV, data[next++]!);
      if (x.m) foldFixedSum(sumM, data[next++]!);
      if (!resident) residual.set(new Float32Array(data[next]!, 0, slab.count), slab.start);
    },
  });
}

interface Masks {
  weightMask: Uint8Array;
  momentMask: Uint8Array | undefined;
  keptW: number;
  keptM: number;
}

/** Step 3: masks and the pruned residual, read back into `residual` and the mask arrays. */
async function maskStep(rt: GpuRuntime, slabs: Slab[], dSource: SlabSource, m: { source: SlabSource; dtype: KernelDType } | undefined, residual: Float32Array, thresholdW: number, thresholdM: number | undefined): Promise<Masks> {
  const n = residual.length;
  const mSource = m?.source;
  const pipeline = await rt.pipelines.get({ kernel: 'excpMask', constants: { DT_M: DTYPE_CODE[m?.dtype ?? 'F32'], WG: WORKGROUP_SIZE, VPT } });
  const out: Masks = { weightMask: new Uint8Array(n), momentMask: mSource ? new Uint8Array(n) : undefined, keptW: 0, keptM: 0 };
  const tW = thresholdBits(thresholdW);
  const tM = thresholdM === undefined ? 0 : thresholdBits(thresholdM);
  const sources: SlabSource[] = mSource ? [dSource, mSource] : [dSource];
  const gridOf = (slab: Slab) => tileGrid(rt, Math.ceil(slab.count / 4), VPT);
  // Every launched thread writes its two counts (pooled buffers hold stale data past them).
  const threadsOf = (slab: Slab) => gridOf(slab).total * WORKGROUP_SIZE;
  await runMultiSlabs(rt, sources, slabs, {
    encode(encoder: GPUCommandEncoder, inputs: SlabInput[], slab: Slab) {
      const quads = Math.ceil(slab.count / 4);
      const grid = gridOf(slab);
      const uniforms = rt.uniforms([slab.count, quads, grid.x, mSource ? 1 : 0, tW >>> 0, tM >>> 0, 0, 0], 'excp mask params');
      const outBytes = roundBytes((2 * quads + 2 * grid.total * WORKGROUP_SIZE) * 4);
      const masks = rt.pool.acquire(outBytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC, 'excp masks');
      // Without m the moment binding still needs a buffer: a small pooled one, never read.
      const dummy = mSource ? undefined : rt.pool.acquire(16, BufferUsage.STORAGE, 'excp no moment');
      const d = inputs[0]!;
      const mIn = inputs[1] ?? { buffer: dummy!, bindBytes: 16 };
      encodeDispatch(rt, encoder, pipeline, 'excp mask', [uniforms, slabBinding(d), slabBinding(mIn), { buffer: masks, size: outBytes }], grid);
      const release = [uniforms, masks, ...(dummy ? [dummy] : [])];
      return {
        outputs: [{ buffer: d.buffer, bytes: slab.count * 4 }, { buffer: masks, bytes: outBytes }],
        release: () => rt.pool.release(...release),
      };
    },
    consume(slab: Slab, [dData, maskData]: ArrayBuffer[]) {
      const quads = Math.ceil(slab.count / 4);
      residual.set(new Float32Array(dData!, 0, slab.count), slab.start);
      out.weightMask.set(new Uint8Array(maskData!, 0, slab.count), slab.start);
      out.momentMask?.set(new Uint8Array(maskData!, quads * 4, slab.count), slab.start);
      const counts = new Uint32Array(maskData!, quads * 8, 2 * threadsOf(slab));
      for (let i = 0; i < counts.length; i += 2) {
        out.keptW += counts[i]!;
        out.keptM += counts[i + 1]!;
      }
    },
  });
  return out;
}
