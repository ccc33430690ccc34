// Error-optimal allocation: the per-layer removal counts that minimise the total squared error for a
// budget (ALGORITHMS.md §3, "non-uniform ratios"). Lagrangian / marginal-cost method on each layer's
// lower convex hull: take whole hull edges cheapest error-per-parameter first, while they fit.
// - Convex curves (magnitude importance: lowest |w| first, so each removal costs at least the one
//   before): the hull is the curve, and the greedy, finished on the true curve, is exactly optimal.
// - Non-convex curves (Taylor |w*m|, OBD 0.5*v*w^2 reorder the weights): the hull greedy solves the
//   convex relaxation, which gives a lower bound on any plan's error; every layer sits at a hull vertex,
//   a real curve point, except for the remainder R (less than one edge), which is placed by the best of:
//   all of it in the single cheapest layer; filled along the true curves' cheapest pieces; or the whole
//   edge taken and the excess given back where the true curves save the most. A DP would be exact on the
//   grid but costs (layers x budget) and the budget is in parameters; the reported lower bound says how
//   far from optimal the heuristic can be.
import { segmentFrom, valueAt, type PreparedLayer } from './planCurves.ts';

/** Hull edges of all layers, cheapest error per removed parameter first (built once per set of curves). */
export interface HullEdges {
  layer: Int32Array;
  /** parameters the edge removes */
  length: Float64Array;
  /** added squared error per removed parameter */
  slope: Float64Array;
}

export function hullEdges(layers: PreparedLayer[]): HullEdges {
  const edges: Array<{ layer: number; length: number; slope: number }> = [];
  layers.forEach((layer, l) => {
    let previousSlope = -Infinity;
    for (let v = 1; v < layer.hull.length; v++) {
      const a = layer.hull[v - 1]!;
      const b = layer.hull[v]!;
      const length = layer.counts[b]! - layer.counts[a]!;
      // Rounding could make a later slope of one hull compare below an earlier one; a layer's edges must
      // be taken in order, so its slopes are kept non-decreasing (the stable sort keeps their order).
      const slope = Math.max(previousSlope, (layer.sqErr[b]! - layer.sqErr[a]!) / length);
      previousSlope = slope;
      edges.push({ layer: l, length, slope });
    }
  });
  edges.sort((a, b) => a.slope - b.slope);
  return {
    layer: Int32Array.from(edges, (e) => e.layer),
    length: Float64Array.from(edges, (e) => e.length),
    slope: Float64Array.from(edges, (e) => e.slope),
  };
}

export interface OptimalAllocation {
  counts: number[];
  /** Total squared error of the hull relaxation at this budget: no allocation can do better. */
  lowerBound: number;
}

/** `free` lists the indices (into `layers`) that may change; counts come back in that order. */
export function allocateErrorOptimal(layers: PreparedLayer[], free: number[], budget: number, edges: HullEdges): OptimalAllocation {
  const local = new Map(free.map((layerIndex, i) => [layerIndex, i]));
  const own = free.map((i) => layers[i]!);
  const counts = free.map(() => 0);
  let left = budget;
  let breakEdge = -1;
  for (let e = 0; e < edges.layer.length && left > 0; e++) {
    const i = local.get(edges.layer[e]!);
    if (i === undefined) continue;
    if (edges.length[e]! > left) {
      breakEdge = e;
      break;
    }
    counts[i] = counts[i]! + edges.length[e]!;
    left -= edges.length[e]!;
  }
  const lowerBound = totalError(own, counts) + (breakEdge < 0 ? 0 : left * edges.slope[breakEdge]!);
  if (left === 0) return { counts, lowerBound };

  const candidates = [allInOneLayer(own, counts, left), fillCheapest(own, [...counts], left)];
  const edgeLayer = local.get(edges.layer[breakEdge]!)!;
  const overshoot = [...counts];
  overshoot[edgeLayer] = overshoot[edgeLayer]! + edges.length[breakEdge]!;
  candidates.push(giveBackDearest(own, overshoot, edges.length[breakEdge]! - left));
  const errors = candidates.map((c) => totalError(own, c));
  return { counts: candidates[errors.indexOf(Math.min(...errors))]!, lowerBound };
}

export function totalError(layers: PreparedLayer[], counts: number[]): number {
  return counts.reduce((total, k, i) => total + valueAt(layers[i]!, layers[i]!.sqErr, k), 0);
}

/** The whole remainder in the one layer where it adds the least error. */
function allInOneLayer(layers: PreparedLayer[], counts: number[], remainder: number): number[] {
  let best = -1;
  let bestCost = Infinity;
  layers.forEach((layer, i) => {
    if (counts[i]! + remainder > layer.cap) return;
    const cost = valueAt(layer, layer.sqErr, counts[i]! + remainder) - valueAt(layer, layer.sqErr, counts[i]!);
    if (cost < bestCost) [best, bestCost] = [i, cost];
  });
  const out = [...counts];
  if (best >= 0) out[best] = out[best]! + remainder;
  else return fillCheapest(layers, out, remainder); // no single layer has room for all of it
  return out;
}

/** Takes the remainder piece by piece from the true curves' cheapest next pieces. */
function fillCheapest(layers: PreparedLayer[], counts: number[], remainder: number): number[] {
  while (remainder > 0) {
    let best = -1;
    let bestSlope = Infinity;
    let bestRoom = 0;
    layers.forEach((layer, i) => {
      const { slope, room } = segmentFrom(layer, counts[i]!, 'up');
      if (room > 0 && slope < bestSlope) [best, bestSlope, bestRoom] = [i, slope, room];
    });
    if (best < 0) throw new Error(`pruning plan: no layer can take the last ${remainder} removals`);
    const take = Math.min(remainder, bestRoom);
    counts[best] = counts[best]! + take;
    remainder -= take;
  }
  return counts;
}

/** Gives `excess` removals back, piece by piece, where the true curves save the most error. */
function giveBackDearest(layers: PreparedLayer[], counts: number[], excess: number): number[] {
  while (excess > 0) {
    let best = -1;
    let bestSlope = -Infinity;
    let bestRoom = 0;
    layers.forEach((layer, i) => {
      const { slope, room } = segmentFrom(layer, counts[i]!, 'down');
      if (room > 0 && slope > bestSlope) [best, bestSlope, bestRoom] = [i, slope, room];
    });
    if (best < 0) throw new Error(`pruning plan: cannot give back ${excess} removals`);
    const give = Math.min(excess, bestRoom);
    counts[best] = counts[best]! - give;
    excess -= give;
  }
  return counts;
}
