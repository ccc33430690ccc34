// Importance criteria for pruning (ALGORITHMS.md §3), element-wise from a checkpoint alone:
// magnitude |w|; first-order Taylor |w * m| (Adam's m stands in for the gradient); second-order
// (Optimal Brain Damage) 0.5 * v * w^2 (Adam's v estimates the diagonal Fisher); and ExCP's rule,
// which ranks by |w| within a tensor and scales tensors by their second-moment guidance
// 1 / min(2.5, alpha / sqrt(mean v)) (a layer that still moves a lot is worth more).
import type { Criterion } from './reportTypes.ts';

export interface ImportanceInputs {
  w: Float32Array;
  m?: Float32Array;
  v?: Float32Array;
  /** mean of v (float64), for the ExCP criterion */
  meanV?: number;
  alpha?: number;
}

/** Which criteria a tensor supports: Taylor needs m, OBD and ExCP need v. */
export function availableCriteria(x: Pick<ImportanceInputs, 'm' | 'v'>): Criterion[] {
  const out: Criterion[] = ['magnitude'];
  if (x.m) out.push('taylor');
  if (x.v) out.push('obd', 'excp');
  return out;
}

export function importance(criterion: Criterion, x: ImportanceInputs, out = new Float32Array(x.w.length)): Float32Array {
  const { w } = x;
  const n = w.length;
  switch (criterion) {
    case 'magnitude':
      for (let i = 0; i < n; i++) out[i] = Math.abs(w[i]!);
      return out;
    case 'taylor': {
      const m = need(x.m, 'taylor', 'exp_avg');
      for (let i = 0; i < n; i++) out[i] = Math.abs(w[i]! * m[i]!);
      return out;
    }
    case 'obd': {
      const v = need(x.v, 'obd', 'exp_avg_sq');
      for (let i = 0; i < n; i++) out[i] = 0.5 * v[i]! * w[i]! * w[i]!;
      return out;
    }
    case 'excp': {
      need(x.v, 'excp', 'exp_avg_sq');
      const alpha = x.alpha ?? 5e-5;
      const meanV = x.meanV ?? 0;
      const guidance = meanV > 0 ? Math.min(2.5, alpha / Math.sqrt(meanV)) : 2.5;
      const scale = 1 / guidance;
      for (let i = 0; i < n; i++) out[i] = Math.abs(w[i]!) * scale;
      return out;
    }
  }
}

function need(a: Float32Array | undefined, criterion: string, moment: string): Float32Array {
  if (!a) throw new Error(`the ${criterion} criterion needs the Adam moment ${moment}, which this checkpoint does not have`);
  return a;
}

/** OWL's layer outlier ratio: share of |w| above `m` times the mean |w| (m = 5 in the OWL paper). */
export const OWL_M = 5;

export function owlOutlierRatio(w: Float32Array, m = OWL_M): number {
  const n = w.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(w[i]!);
  const limit = (m * sum) / n;
  let count = 0;
  for (let i = 0; i < n; i++) count += Number(Math.abs(w[i]!) > limit);
  return count / n;
}
