// Deterministic test data for the error-curve and pruning-plan tests, and a sort-based reference.
import { errorCurve } from '../../server/src/analysis/errorCurve.ts';
import type { LayerCurveInput } from '../../server/src/analysis/planTypes.ts';

/** Small seeded generator (LCG), uniform in [0, 1). */
export function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Gaussian weights, or heavy-tailed ones (a Gaussian over a random scale: Student-t-like outliers). */
export function weights(n: number, random: () => number, heavy = false, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (scale * gaussian(random)) / (heavy ? Math.sqrt(random() + 0.01) : 1));
}

/** Rounds float32 values to bfloat16 precision (truncation), as a BF16 checkpoint would hold them. */
export function toBf16Precision(values: Float32Array): Float32Array {
  const out = Float32Array.from(values);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) bits[i] = bits[i]! & 0xffff0000;
  return out;
}

/** Reference removal order: stable sort by importance (NaN last, -0 == +0), ties by index. */
export function removalOrder(s: Float32Array): number[] {
  const rank = (v: number) => (Number.isNaN(v) ? 1 : 0);
  return Array.from(s, (_, i) => i).sort((a, b) => rank(s[a]!) - rank(s[b]!) || (rank(s[a]!) ? 0 : s[a]! - s[b]!) || a - b);
}

/** Sums of w^2 and of (non-NaN) importance over the first k of `order`, for every k. */
export function prefixSums(w: Float32Array, s: Float32Array, order: number[]): { sqErr: Float64Array; importance: Float64Array } {
  const sqErr = new Float64Array(order.length + 1);
  const importance = new Float64Array(order.length + 1);
  order.forEach((i, k) => {
    sqErr[k + 1] = sqErr[k]! + w[i]! * w[i]!;
    importance[k + 1] = importance[k]! + (Number.isNaN(s[i]!) ? 0 : s[i]!);
  });
  return { sqErr, importance };
}

export function close(actual: number, expected: number, relative = 1e-12): boolean {
  return Math.abs(actual - expected) <= relative * Math.max(1e-300, Math.abs(expected));
}

/** A plan input for one layer, its curve measured by errorCurve (magnitude importance unless given). */
export function measuredLayer(layer: string, w: Float32Array, s: Float32Array = w.map(Math.abs), extra: Partial<LayerCurveInput> = {}): LayerCurveInput {
  const curve = errorCurve(w, s);
  return { layer, params: w.length, sqNorm: curve.sqNorm, curve: curve.points, importanceTotal: curve.importanceTotal, ...extra };
}

/** Share of weights with |w| > m * mean |w| (OWL's layerwise outlier ratio). */
export function outlierRatio(w: Float32Array, m = 5): number {
  const mean = w.reduce((a, x) => a + Math.abs(x), 0) / w.length;
  return w.filter((x) => Math.abs(x) > m * mean).length / w.length;
}
