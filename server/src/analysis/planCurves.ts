// A layer's error curve in the form the allocators need: validated, indexed by removal count rather
// than sparsity (so every layer's budget is in whole parameters), interpolated linearly between
// points, with its lower convex hull for the error-optimal allocation.
import { removedCount } from './errorCurve.ts';
import type { LayerCurveInput } from './planTypes.ts';

export interface PreparedLayer {
  input: LayerCurveInput;
  layer: string;
  params: number;
  /** Removal counts of the curve's points: strictly increasing, starting at 0. */
  counts: Float64Array;
  sqErr: Float64Array;
  importance: Float64Array;
  /** The most this layer may lose: the count of its last point. */
  cap: number;
  /** Indices (into counts) of the lower convex hull's vertices, from the first point to the last. */
  hull: number[];
}

export function prepareLayer(input: LayerCurveInput): PreparedLayer {
  const name = input.layer;
  const fail = (what: string): never => {
    throw new RangeError(`layer "${name}": ${what}`);
  };
  if (typeof name !== 'string') throw new RangeError(`a layer's name must be a string, got ${String(name)}`);
  if (!Number.isSafeInteger(input.params) || input.params < 0) fail(`params ${input.params} is not a non-negative integer`);
  if (!(input.sqNorm >= 0 && Number.isFinite(input.sqNorm))) fail(`sqNorm ${input.sqNorm} is not a finite non-negative number`);
  if (!Array.isArray(input.curve)) fail('curve is not an array');

  const counts: number[] = [0];
  const sqErr: number[] = [0];
  const importance: number[] = [0];
  let previous = -1;
  input.curve.forEach((point, i) => {
    const { sparsity, sqErr: e, importanceRemoved: m } = point;
    if (!(sparsity >= 0 && sparsity <= 1)) fail(`curve point ${i}: sparsity ${sparsity} is not in [0, 1]`);
    if (!(sparsity > previous)) fail(`curve point ${i}: sparsity ${sparsity} does not increase (previous ${previous})`);
    if (!(e >= 0 && Number.isFinite(e))) fail(`curve point ${i}: sqErr ${e} is not a finite non-negative number`);
    if (!Number.isFinite(m)) fail(`curve point ${i}: importanceRemoved ${m} is not finite`);
    previous = sparsity;
    const count = removedCount(sparsity, input.params);
    // Small layers map neighbouring sparsities to one count: the first point stands for all (removing
    // nothing is (0, 0, 0) by definition).
    if (count === counts[counts.length - 1]) return;
    counts.push(count);
    sqErr.push(e);
    importance.push(m);
  });
  const prepared = {
    input,
    layer: name,
    params: input.params,
    counts: Float64Array.from(counts),
    sqErr: Float64Array.from(sqErr),
    importance: Float64Array.from(importance),
    cap: counts[counts.length - 1]!,
    hull: [] as number[],
  };
  prepared.hull = lowerHull(prepared.counts, prepared.sqErr);
  return prepared;
}

/** Monotone-chain lower hull; collinear points are dropped, so hull slopes strictly increase. */
function lowerHull(x: Float64Array, y: Float64Array): number[] {
  const hull: number[] = [];
  for (let i = 0; i < x.length; i++) {
    while (hull.length >= 2) {
      const o = hull[hull.length - 2]!;
      const a = hull[hull.length - 1]!;
      const cross = (x[a]! - x[o]!) * (y[i]! - y[o]!) - (y[a]! - y[o]!) * (x[i]! - x[o]!);
      if (cross > 0) break; // a lies strictly below the chord o..i
      hull.pop();
    }
    hull.push(i);
  }
  return hull;
}

/** Index of the last point whose count is <= count. */
function pointAtOrBelow(layer: PreparedLayer, count: number): number {
  const { counts } = layer;
  let lo = 0;
  let hi = counts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (counts[mid]! <= count) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A curve quantity (sqErr or importance) at a removal count in [0, cap], linear between points. */
export function valueAt(layer: PreparedLayer, values: Float64Array, count: number): number {
  const i = pointAtOrBelow(layer, count);
  const x0 = layer.counts[i]!;
  if (count === x0 || i === layer.counts.length - 1) return values[i]!;
  const t = (count - x0) / (layer.counts[i + 1]! - x0);
  return values[i]! + t * (values[i + 1]! - values[i]!);
}

export function isCurvePoint(layer: PreparedLayer, count: number): boolean {
  return layer.counts[pointAtOrBelow(layer, count)] === count;
}

/** The curve piece a layer moves along when it loses more (`up`) or fewer (`down`) parameters than
 *  `count`: its error per parameter and how many parameters remain on it (0 at the ends). */
export function segmentFrom(layer: PreparedLayer, count: number, direction: 'up' | 'down'): { slope: number; room: number } {
  const { counts, sqErr } = layer;
  let i = pointAtOrBelow(layer, count);
  if (direction === 'down' && counts[i] === count) i--;
  if (i < 0 || i >= counts.length - 1) return { slope: 0, room: 0 };
  const slope = (sqErr[i + 1]! - sqErr[i]!) / (counts[i + 1]! - counts[i]!);
  return { slope, room: direction === 'up' ? counts[i + 1]! - count : count - counts[i]! };
}
