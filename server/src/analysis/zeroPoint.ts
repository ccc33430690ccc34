// The zero-point effect (ALGORITHMS.md §2): Adam's step ~ h(v) = 1/(sqrt(v)+1e-6). A codebook with 0
// sends tiny v to exactly 0 and h to 1e6. Three distributions of h on one log axis: the original v,
// v quantized with a zero-containing codebook, and without zero, with zero_frac and update_rel_err.
import type { Backend, HistogramSpec, TensorData } from '../../../kernels/src/index.ts';
import { histogram } from './histogramRanges.ts';
import { codebookValues, type QuantScheme } from './quantSchemes.ts';
import type { ZeroPointJson, ZeroPointSide } from './reportTypes.ts';

async function quantizedSide(backend: Backend, v: TensorData, shape: readonly number[], scheme: QuantScheme, spec: HistogramSpec): Promise<ZeroPointSide> {
  const dequantized = new Float32Array(v.data.length);
  const r = await backend.quantError(v, shape, {
    codebook: codebookValues(scheme.codebook!, scheme.bits!),
    normalization: scheme.normalization!,
    secondMoment: true,
    dequantized,
  });
  return {
    histogram: await histogram(backend, { dtype: 'F32', data: dequantized }, spec),
    zero_frac: r.zero_frac,
    update_rel_err: r.update_rel_err ?? NaN,
    scheme: scheme.label,
  };
}

/** `zeroFracOriginal`: the share of v that is already exactly 0 (e.g. never-used embedding rows). */
export async function zeroPointEffect(
  backend: Backend,
  v: TensorData,
  zeroFracOriginal: number,
  shape: readonly number[],
  withZero: QuantScheme,
  withoutZero: QuantScheme,
  spec: HistogramSpec,
): Promise<ZeroPointJson> {
  return {
    original: { histogram: await histogram(backend, v, spec), zero_frac: zeroFracOriginal, update_rel_err: 0, scheme: 'original' },
    with_zero: await quantizedSide(backend, v, shape, withZero, spec),
    without_zero: await quantizedSide(backend, v, shape, withoutZero, spec),
  };
}
