// Kernel 5 on WebGPU: error of the factorized (Adafactor-style) second-moment estimate, the twin of
// cpu/quantFactored.ts. Pass 1 sums the rows and columns of the 2-D view (64-bit fixed-point
// partials, quantReduce.wgsl, added in float64 here), the host forms the stored factors exactly as
// the CPU does, pass 2 rebuilds v_ij ~ RN(r_i / sum(r) * c_j) and sums the errors
// (gpuQuantPasses.ts).
//
// The partial sums are as good as the CPU's float64 ones, so a factor rounded to float32 agrees
// unless its sum sits within ~1e-13 of a rounding boundary; every estimate is then what the CPU
// formula gives for those factors.
import type { FactoredOptions } from '../backend.ts';
import { view2d } from '../cpu/profiles.ts';
import { finishQuantError, newQuantPartial, type QuantErrorResult } from '../cpu/quantMetrics.ts';
import { bitsToF32, f32Bits } from '../floatBits.ts';
import type { TensorData } from '../types.ts';
import type { GpuRuntime } from './runtime.ts';
import { elementValue, errorPass, reducePass, scaleExponent, WHOLE_SEGMENT, withQuantSlabs } from './gpuQuantPasses.ts';

/**
 * The factorization error of v (shape row-major), or null for the CPU path: a 2-D view too wide for
 * the GPU tables, or factors that overflow float32.
 */
export async function gpuFactoredError(rt: GpuRuntime, v: TensorData, shape: readonly number[], opts: FactoredOptions = {}): Promise<QuantErrorResult | null> {
  const n = v.data.length;
  const second = opts.secondMoment ?? true;
  const out = opts.dequantized;
  if (out && out.length !== n) throw new RangeError(`dequantized buffer has ${out.length} elements, expected ${n}`);
  const vector = shape.length < 2;
  const { rows, cols } = vector ? { rows: n, cols: 0 } : view2d(shape);
  if (!vector && rows * cols !== n) throw new RangeError(`shape [${shape.join(', ')}] does not match ${n} elements`);
  const info = { codeBits: 0, scaleCount: vector ? 1 : rows + cols, scheme: 'factored', secondMoment: second };
  if (n === 0) return finishQuantError(newQuantPartial(), info);
  // A vector's sum comes from segments of WHOLE_SEGMENT (positions stay far below 2^32).
  const segLen = vector ? WHOLE_SEGMENT : cols;

  const acc = await withQuantSlabs(rt, v, { segLen, cols, dequantize: out !== undefined }, async (q) => {
    const r = await reducePass(q, segLen, cols, true);
    let absMax = 0;
    for (let i = 0; i < r.segMax.length; i++) if (r.segMax[i]! > absMax) absMax = r.segMax[i]!;
    const base = { secondMoment: second, dequantized: out, lookup: null, segLen };
    if (vector) {
      let sum = 0, count = 0;
      for (let i = 0; i < r.segSum.length; i++) {
        sum += r.segSum[i]!;
        count += r.segCount[i]!;
      }
      const mean = Math.fround(count > 0 ? sum / count : 0);
      return errorPass(q, {
        ...base,
        mode: 'constant',
        segWords: new Uint32Array(0),
        wordsPerSeg: 1,
        colWords: new Uint32Array(0),
        constValue: mean,
        k: scaleExponent(Math.max(bitsToF32(absMax), Math.abs(mean))),
        exactError: (i) => Math.abs(elementValue(v, i) - mean),
      });
    }
    // The stored factors and the float64 ratios r_i / sum(r), as in cpu/quantFactored.ts.
    const row = Float32Array.from(r.segSum);
    const col = Float32Array.from(r.colSum);
    let total = 0;
    for (let i = 0; i < rows; i++) total += row[i]!;
    const ratio = Float64Array.from(row, (ri) => (total !== 0 ? ri / total : 0));
    // Sums past the float32 range make Inf/NaN factors, whose arithmetic WGSL does not promise.
    if (!ratio.every(Number.isFinite) || !col.every(Number.isFinite)) return null;
    const segWords = new Uint32Array(2 * rows);
    let ratioMax = 0;
    for (let i = 0; i < rows; i++) {
      const hi = Math.fround(ratio[i]!);
      segWords[2 * i] = f32Bits(hi);
      segWords[2 * i + 1] = f32Bits(ratio[i]! - hi);
      ratioMax = Math.max(ratioMax, Math.abs(ratio[i]!));
    }
    let colMax = 0;
    for (let j = 0; j < cols; j++) colMax = Math.max(colMax, Math.abs(col[j]!));
    return errorPass(q, {
      ...base,
      mode: 'factored',
      segWords,
      wordsPerSeg: 2,
      colWords: new Uint32Array(col.buffer),
      constValue: 0,
      k: scaleExponent(Math.max(bitsToF32(absMax), ratioMax * colMax * (1 + 2 ** -20))),
      exactError: (i) => {
        const rI = Math.floor(i / cols);
        return Math.abs(elementValue(v, i) - Math.fround(ratio[rI]! * col[i - rI * cols]!));
      },
    });
  });
  return acc ? finishQuantError(acc, info) : null;
}
