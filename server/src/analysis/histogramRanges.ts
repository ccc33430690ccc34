// Choosing histogram ranges from a tensor's statistics, so every histogram is one kernel call.
import type { Backend, HistogramSpec, Stats, TensorData } from '../../../kernels/src/index.ts';
import { histogramJson, type HistogramJson } from './reportTypes.ts';

/** Decades of |x| shown below the largest magnitude on log axes; smaller values count as `below`. */
export const LOG_DECADES = 10;
/** h(v) = 1 / (sqrt(v) + 1e-6) never exceeds 1e6; the log range ends just above it so h = 1e6 is in range. */
const H_MAX_LOG10 = 6.05;

export function linearSpec(s: Stats, bins: number): HistogramSpec {
  const lo = Number.isFinite(s.min) ? s.min : 0;
  let hi = Number.isFinite(s.max) ? s.max : 0;
  if (!(hi > lo)) hi = lo + 1;
  return { scale: 'linear', bins, lo, hi };
}

export function logAbsSpec(s: Stats, bins: number): HistogramSpec {
  const top = s.absmax > 0 && Number.isFinite(s.absmax) ? Math.ceil(Math.log10(s.absmax) * 10) / 10 : 0;
  return { scale: 'log10abs', bins, lo: top - LOG_DECADES, hi: top };
}

/** log10 of h(v) from h(max v) (the smallest step size) to 1e6 (v = 0). */
export function updateSpec(v: Stats, bins: number): HistogramSpec {
  const hMin = 1 / (Math.sqrt(Math.max(0, Number.isFinite(v.max) ? v.max : 0)) + 1e-6);
  const lo = Math.floor(Math.log10(hMin) * 10) / 10;
  return { scale: 'log10abs', bins, lo: Math.min(lo, H_MAX_LOG10 - 1), hi: H_MAX_LOG10, transform: 'adam-update' };
}

export async function histogram(backend: Backend, x: TensorData, spec: HistogramSpec): Promise<HistogramJson> {
  return histogramJson(await backend.histogram(x, spec));
}
