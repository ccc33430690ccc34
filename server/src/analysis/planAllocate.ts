// Uniform and OWL allocation of a removal budget (a whole number of parameters) among layers. Every
// allocator (these and planOptimal.ts) gets only the layers it may change and a budget already checked
// to fit within their caps, and returns integer counts summing to it exactly.
import type { PreparedLayer } from './planCurves.ts';

/** Per-layer ratio bounds and offset: layer l gets clamp(c + offset_l, lo_l, hi_l) for a common c. */
interface RatioRule {
  offset: number[];
  lo: number[];
  hi: number[];
}

/** Every layer at the same ratio (layers whose cap is lower stop there; the others take up the rest). */
export function allocateUniform(layers: PreparedLayer[], budget: number): number[] {
  return fitRule(layers, budget, {
    offset: layers.map(() => 0),
    lo: layers.map(() => 0),
    hi: layers.map(ratioCap),
  });
}

export interface OwlAllocation {
  counts: number[];
  /** Set when the [T - lambda, T + lambda] band could not hold the budget (caps below T) and was widened. */
  widened: boolean;
}

/**
 * OWL (Yin et al. 2023): outlier ratios mapped linearly onto a spread of 2*lambda, most outliers pruned
 * least (the reference code: D = (O - min O) / (max O - min O) * 2*lambda; sparsity = T - (D - mean D)).
 * The reference centres on the unweighted mean, which misses T when layers differ in size; here the
 * shift is solved so the parameter-weighted sparsity is exactly T, and ratios are clamped to
 * [T - lambda, T + lambda] (and to [0, cap]), which only bites when that shift leaves the band. T is
 * the budget's share of these layers (the global target once overridden layers are set aside).
 */
export function allocateOwl(layers: PreparedLayer[], budget: number, lambda: number, outlierRatios: number[]): OwlAllocation {
  const params = layers.reduce((total, layer) => total + layer.params, 0);
  const target = params > 0 ? budget / params : 0;
  const sized = outlierRatios.filter((_, i) => layers[i]!.params > 0);
  const min = Math.min(...sized);
  const spread = Math.max(...sized) - min;
  const offset = outlierRatios.map((o) => (spread > 0 ? lambda - (2 * lambda * (o - min)) / spread : 0));
  const lo = layers.map(() => Math.max(0, target - lambda));
  const banded = layers.map((layer) => Math.min(ratioCap(layer), target + lambda));
  const fits = layers.reduce((total, layer, i) => total + layer.params * banded[i]!, 0) >= budget;
  const hi = fits ? banded : layers.map(ratioCap);
  return { counts: fitRule(layers, budget, { offset, lo, hi }), widened: !fits };
}

function ratioCap(layer: PreparedLayer): number {
  return layer.params > 0 ? layer.cap / layer.params : 0;
}

/** Solves sum params_l * clamp(c + offset_l, lo_l, hi_l) = budget for c (monotone: bisection), then rounds. */
function fitRule(layers: PreparedLayer[], budget: number, rule: RatioRule): number[] {
  const ratiosAt = (c: number) => layers.map((_, i) => Math.min(rule.hi[i]!, Math.max(rule.lo[i]!, c + rule.offset[i]!)));
  const removedAt = (c: number) => ratiosAt(c).reduce((total, r, i) => total + r * layers[i]!.params, 0);
  let low = Math.min(0, ...rule.lo.map((lo, i) => lo - rule.offset[i]!));
  let high = Math.max(0, ...rule.hi.map((hi, i) => hi - rule.offset[i]!));
  for (let iteration = 0; iteration < 200 && high - low > 1e-15; iteration++) {
    const mid = (low + high) / 2;
    if (removedAt(mid) < budget) low = mid;
    else high = mid;
  }
  const real = ratiosAt(high).map((r, i) => r * layers[i]!.params);
  return roundToCounts(real, layers.map((layer) => layer.cap), budget);
}

/**
 * Largest-remainder rounding: whole counts within [0, cap] that sum to `budget`, each within one of its
 * real value. Assumes 0 <= budget <= sum of caps.
 */
export function roundToCounts(real: number[], caps: number[], budget: number): number[] {
  const counts = real.map((x, i) => Math.min(caps[i]!, Math.max(0, Math.floor(x + 1e-9))));
  let missing = budget - counts.reduce((a, b) => a + b, 0);
  const byRemainder = real.map((_, i) => i).sort((a, b) => real[b]! - counts[b]! - (real[a]! - counts[a]!));
  while (missing !== 0) {
    let moved = false;
    const order = missing > 0 ? byRemainder : [...byRemainder].reverse();
    for (const i of order) {
      if (missing === 0) break;
      if (missing > 0 && counts[i]! < caps[i]!) [counts[i], missing, moved] = [counts[i]! + 1, missing - 1, true];
      else if (missing < 0 && counts[i]! > 0) [counts[i], missing, moved] = [counts[i]! - 1, missing + 1, true];
    }
    if (!moved) throw new Error(`pruning plan: cannot place ${missing} more removals within the layers' caps`);
  }
  return counts;
}
