// Pruning plan (ALGORITHMS.md §3): per-layer ratios for a global target sparsity, from per-layer error
// curves (errorCurve.ts). Strategies:
// - uniform: every layer at the target ratio;
// - error-optimal (default): the ratios that minimise the total squared error, so the model's relative
//   error sqrt(sum sqErr / sum sqNorm) is lowest for the target (planOptimal.ts);
// - owl: outlier-heavy layers pruned less (OWL's rule, planAllocate.ts).
// Every layer is capped at its curve's last point (95% on the default grid): beyond it the error is unknown.
// User overrides fix some layers' ratios; the rest share what is left of the target. Budgets are whole
// parameters: the target removes floor(T * params) of them and a feasible plan hits that count exactly.
//
// For the language server's slider: `preparePlan` validates the curves and builds the hulls once;
// `planPruning` on the prepared input then costs O(layers * curve points).
import { removedCount } from './errorCurve.ts';
import { allocateOwl, allocateUniform } from './planAllocate.ts';
import { allocateErrorOptimal, hullEdges, totalError, type HullEdges } from './planOptimal.ts';
import { prepareLayer, valueAt, type PreparedLayer } from './planCurves.ts';
import { layerPlan, modelTotals, planBytes } from './planReport.ts';
import type { LayerCurveInput, PlanOptions, PlanStrategy, PruningPlan } from './planTypes.ts';

export type * from './planTypes.ts';

export const DEFAULT_OWL_LAMBDA = 0.08;
const STRATEGIES: readonly PlanStrategy[] = ['uniform', 'error-optimal', 'owl'];

export interface PreparedPlan {
  layers: PreparedLayer[];
  edges: HullEdges;
  index: Map<string, number>;
}

export function preparePlan(inputs: readonly LayerCurveInput[]): PreparedPlan {
  const layers = inputs.map(prepareLayer);
  const index = new Map<string, number>();
  layers.forEach((layer, i) => {
    if (index.has(layer.layer)) throw new RangeError(`layer "${layer.layer}" appears twice`);
    index.set(layer.layer, i);
  });
  return { layers, edges: hullEdges(layers), index };
}

export function planPruning(input: PreparedPlan | readonly LayerCurveInput[], options: PlanOptions): PruningPlan {
  const prepared = 'edges' in input ? input : preparePlan(input);
  const { layers } = prepared;
  const strategy = options.strategy ?? 'error-optimal';
  const lambda = options.lambda ?? DEFAULT_OWL_LAMBDA;
  checkOptions(options, strategy, lambda);

  const messages: string[] = [];
  const paramsBefore = layers.reduce((total, layer) => total + layer.params, 0);
  const targetRemoved = removedCount(options.target, paramsBefore);
  const counts = layers.map(() => 0);
  const fixed = applyOverrides(prepared, options.overrides ?? {}, counts, messages);
  const free = layers.map((_, i) => i).filter((i) => !fixed[i]);
  const budget = freeBudget(layers, free, targetRemoved - sum(counts), messages);

  let lowerBound: number | undefined;
  const freeLayers = free.map((i) => layers[i]!);
  let allocation: number[];
  if (strategy === 'uniform') allocation = allocateUniform(freeLayers, budget);
  else if (strategy === 'owl') {
    const owl = allocateOwl(freeLayers, budget, lambda, freeLayers.map(outlierRatioOf));
    if (owl.widened) messages.push(`owl: layers capped below the target left the ±${lambda} band too narrow; some layers go above the target + ${lambda}`);
    allocation = owl.counts;
  } else {
    const optimal = allocateErrorOptimal(layers, free, budget, prepared.edges);
    const uniform = allocateUniform(freeLayers, budget);
    // On non-convex curves the hull allocation's last partial step can (rarely) cost more than uniform.
    if (totalError(freeLayers, uniform) < totalError(freeLayers, optimal.counts)) {
      messages.push('error-optimal: the convex-hull allocation was worse than uniform on these non-convex curves; uniform ratios used');
      allocation = uniform;
    } else allocation = optimal.counts;
    lowerBound = optimal.lowerBound + fixed.reduce((total, isFixed, i) => (isFixed ? total + valueAt(layers[i]!, layers[i]!.sqErr, counts[i]!) : total), 0);
  }
  free.forEach((layerIndex, i) => (counts[layerIndex] = allocation[i]!));

  const plans = layers.map((layer, i) => layerPlan(layer, counts[i]!, fixed[i]!));
  const totals = modelTotals(layers, plans);
  return {
    strategy,
    target: options.target,
    targetRemoved,
    feasible: totals.removed === targetRemoved && !messages.some(isInfeasibility),
    messages,
    layers: plans,
    ...totals,
    ...(lowerBound === undefined ? {} : { lowerBoundRelErr: totals.sqNorm > 0 ? Math.sqrt(Math.max(0, lowerBound) / totals.sqNorm) : 0 }),
    bytes: planBytes(layers, plans, options.bytesPerParam),
  };
}

function checkOptions(options: PlanOptions, strategy: PlanStrategy, lambda: number): void {
  if (!(options.target >= 0 && options.target <= 1)) throw new RangeError(`target sparsity ${options.target} is not in [0, 1]`);
  if (!STRATEGIES.includes(strategy)) throw new RangeError(`unknown strategy "${strategy}" (one of ${STRATEGIES.join(', ')})`);
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`owl lambda ${lambda} is not in [0, 1]`);
  const bytes = options.bytesPerParam;
  if (bytes !== undefined && !(bytes > 0 && Number.isFinite(bytes))) throw new RangeError(`bytesPerParam ${bytes} is not a positive number`);
}

const INFEASIBLE = 'infeasible: ';

function isInfeasibility(message: string): boolean {
  return message.startsWith(INFEASIBLE);
}

/** Fixes the overridden layers' counts; returns which layers are fixed. */
function applyOverrides(prepared: PreparedPlan, overrides: Readonly<Record<string, number>>, counts: number[], messages: string[]): boolean[] {
  const fixed = prepared.layers.map(() => false);
  for (const [name, ratio] of Object.entries(overrides)) {
    const i = prepared.index.get(name);
    if (i === undefined) throw new RangeError(`override for unknown layer "${name}"`);
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`override for layer "${name}": ratio ${ratio} is not in [0, 1]`);
    const layer = prepared.layers[i]!;
    let count = removedCount(ratio, layer.params);
    if (count > layer.cap) {
      messages.push(`${INFEASIBLE}layer "${name}": override ${ratio} is beyond its curve (last point ${(layer.cap / layer.params).toFixed(4)}); capped there`);
      count = layer.cap;
    }
    counts[i] = count;
    fixed[i] = true;
  }
  return fixed;
}

/** The removals left for the free layers, clamped to what they can take, with a message when clamped. */
function freeBudget(layers: PreparedLayer[], free: number[], wanted: number, messages: string[]): number {
  const room = free.reduce((total, i) => total + layers[i]!.cap, 0);
  if (wanted < 0) {
    messages.push(`${INFEASIBLE}the overridden layers alone remove ${-wanted} parameters more than the target; the other layers are left unpruned`);
    return 0;
  }
  if (wanted > room) {
    const total = layers.reduce((sum, layer) => sum + layer.params, 0);
    messages.push(
      `${INFEASIBLE}${wanted} more removals are needed but the ${free.length === layers.length ? '' : 'non-overridden '}layers can take only ${room} ` +
        `(each capped at its curve's last point); the plan falls ${wanted - room} parameters (${((wanted - room) / Math.max(1, total)).toExponential(2)} of the model) short`,
    );
    return room;
  }
  return wanted;
}

function outlierRatioOf(layer: PreparedLayer): number {
  const o = layer.input.outlierRatio;
  if (o === undefined && layer.params === 0) return 0; // nothing to prune there either way
  if (o === undefined || !(o >= 0 && o <= 1)) throw new RangeError(`owl: layer "${layer.layer}" needs an outlierRatio in [0, 1], got ${o}`);
  return o;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
