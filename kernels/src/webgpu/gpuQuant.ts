// Kernel 4 on WebGPU: quantize -> dequantize error (ALGORITHMS.md §2), the twin of
// cpu/quantError.ts. Pass 1 finds the scales (block max |x|, or the rank-1 row and column max |x|),
// pass 2 reconstructs every element bit-equal to the CPU and sums the errors (gpuQuantPasses.ts).
import { NearestLookup } from '../codebooks.ts';
import { view2d } from '../cpu/profiles.ts';
import { checkQuantArguments, scaleCount, schemeName, type QuantErrorOptions } from '../cpu/quantError.ts';
import { finishQuantError, newQuantPartial, type QuantErrorResult } from '../cpu/quantMetrics.ts';
import { bitsToF32 } from '../floatBits.ts';
import type { TensorData } from '../types.ts';
import type { GpuRuntime } from './runtime.ts';
import { elementValue, errorPass, GPU_MAX_SLOTS, reducePass, scaleExponent, WHOLE_SEGMENT, withQuantSlabs } from './gpuQuantPasses.ts';

const F32_MAX = 3.4028234663852886e38;

/**
 * The quantization error of x (shape row-major), as cpu/quantError.ts computes it, or null when the
 * GPU cannot take the call (a codebook of more than 256 distinct entries or beyond [-1, 1] enough
 * to overflow, a 2-D view millions of columns wide): the caller then runs the CPU path.
 * `tuning.forceExact` (tests) sends every element through the integer division and multiplication.
 */
export async function gpuQuantError(
  rt: GpuRuntime,
  x: TensorData,
  shape: readonly number[],
  opts: QuantErrorOptions,
  tuning: { forceExact?: boolean } = {},
): Promise<QuantErrorResult | null> {
  const n = x.data.length;
  const { bits, norm } = checkQuantArguments(n, shape, opts);
  const lookup = new NearestLookup(opts.codebook);
  if (lookup.slotValue.length > GPU_MAX_SLOTS) return null;
  const second = opts.secondMoment ?? false;
  const info = { codeBits: bits, scaleCount: scaleCount(norm, n, shape), scheme: schemeName(norm), secondMoment: second };
  const rank1 = norm.kind === 'rank1';
  const cols = rank1 ? view2d(shape).cols : 0;
  // Per-tensor scaling runs as blocks of WHOLE_SEGMENT that all get the tensor's scale (shader
  // positions stay far below 2^32 however large the tensor).
  const segLen = norm.kind === 'block' ? norm.blockSize : rank1 ? cols : WHOLE_SEGMENT;
  if (n === 0) return finishQuantError(newQuantPartial(), info);

  const acc = await withQuantSlabs(rt, x, { segLen, cols, dequantize: opts.dequantized !== undefined }, async (q) => {
    const r = await reducePass(q, segLen, cols, false);
    let absMax = 0;
    for (let i = 0; i < r.segMax.length; i++) if (r.segMax[i]! > absMax) absMax = r.segMax[i]!;
    if (norm.kind === 'tensor') r.segMax.fill(absMax);
    const sMax = bitsToF32(absMax);
    const cbMax = Math.max(1, Math.abs(lookup.slotValue[0]!), Math.abs(lookup.slotValue[lookup.slotValue.length - 1]!));
    // A codebook beyond [-1, 1] could overflow x_hat to Inf, whose arithmetic WGSL does not promise.
    if (sMax * cbMax > F32_MAX) return null;
    const scale = rank1
      ? (i: number) => Math.min(bitsToF32(r.segMax[Math.floor(i / cols)]!), bitsToF32(r.colMax[i % cols]!))
      : (i: number) => bitsToF32(r.segMax[Math.floor(i / segLen)]!);
    return errorPass(q, {
      mode: rank1 ? 'rank1' : 'block',
      segLen,
      segWords: r.segMax,
      wordsPerSeg: 1,
      colWords: rank1 ? r.colMax : new Uint32Array(0),
      constValue: 0,
      lookup,
      secondMoment: second,
      dequantized: opts.dequantized,
      // x_hat may round up past the scale by half an ulp
      k: scaleExponent(sMax * cbMax * (1 + 2 ** -20)),
      forceExact: tuning.forceExact,
      exactError: (i) => {
        const v = elementValue(x, i);
        const s = scale(i);
        const qv = s > 0 ? Math.fround(lookup.nearest(Math.fround(v / s)) * s) : 0;
        return Math.abs(v - qv);
      },
    });
  });
  return acc ? finishQuantError(acc, info) : null;
}

