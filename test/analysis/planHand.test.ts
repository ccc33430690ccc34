// Pruning plans small enough to compute by hand: exact ratios, errors and importance for each strategy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPruning, type LayerCurveInput } from '../../server/src/analysis/pruningPlan.ts';
import { DEFAULT_SPARSITY_GRID } from '../../server/src/analysis/errorCurve.ts';

/** Weights 1, 2, 3, 4 (magnitude importance): removing 0..3 costs 0, 1, 5, 14. */
const a: LayerCurveInput = {
  layer: 'a',
  params: 4,
  sqNorm: 30,
  importanceTotal: 10,
  curve: [
    { sparsity: 0, sqErr: 0, importanceRemoved: 0 },
    { sparsity: 0.25, sqErr: 1, importanceRemoved: 1 },
    { sparsity: 0.5, sqErr: 5, importanceRemoved: 3 },
    { sparsity: 0.75, sqErr: 14, importanceRemoved: 6 },
  ],
};
/** Weights 0.5, 0.5, 0.5, 3: removing 0..3 costs 0, 0.25, 0.5, 0.75. */
const b: LayerCurveInput = {
  layer: 'b',
  params: 4,
  sqNorm: 9.75,
  importanceTotal: 4.5,
  curve: [
    { sparsity: 0, sqErr: 0, importanceRemoved: 0 },
    { sparsity: 0.25, sqErr: 0.25, importanceRemoved: 0.5 },
    { sparsity: 0.5, sqErr: 0.5, importanceRemoved: 1 },
    { sparsity: 0.75, sqErr: 0.75, importanceRemoved: 1.5 },
  ],
};

test('two layers at 50%: uniform 2 + 2, error-optimal 1 + 3', () => {
  const uniform = planPruning([a, b], { target: 0.5, strategy: 'uniform' });
  assert.deepEqual(uniform.layers.map((l) => l.removed), [2, 2]);
  assert.equal(uniform.sqErr, 5.5);
  assert.equal(uniform.relErr, Math.sqrt(5.5 / 39.75));

  const optimal = planPruning([a, b], { target: 0.5 });
  assert.equal(optimal.strategy, 'error-optimal');
  assert.deepEqual(optimal.layers.map((l) => [l.ratio, l.removed, l.kept]), [[0.25, 1, 3], [0.75, 3, 1]]);
  assert.deepEqual(optimal.layers.map((l) => l.sqErr), [1, 0.75]);
  assert.deepEqual(optimal.layers.map((l) => l.relErr), [Math.sqrt(1 / 30), Math.sqrt(0.75 / 9.75)]);
  assert.deepEqual(optimal.layers.map((l) => l.importanceRemoved), [1, 1.5]);
  assert.deepEqual(optimal.layers.map((l) => l.importanceRemovedFrac), [0.1, 1.5 / 4.5]);
  assert.equal(optimal.sqErr, 1.75);
  assert.equal(optimal.relErr, Math.sqrt(1.75 / 39.75));
  assert.equal(optimal.lowerBoundRelErr, optimal.relErr);
  assert.deepEqual([optimal.paramsBefore, optimal.paramsAfter, optimal.removed, optimal.targetRemoved], [8, 4, 4, 4]);
  assert.equal(optimal.achievedSparsity, 0.5);
  assert.equal(optimal.feasible, true);
  assert.deepEqual(optimal.messages, []);
});

test('error-optimal at 37.5% and 62.5%: cheapest marginal error first', () => {
  const low = planPruning([a, b], { target: 0.375 });
  assert.deepEqual(low.layers.map((l) => l.removed), [0, 3]);
  assert.equal(low.sqErr, 0.75);
  const high = planPruning([a, b], { target: 0.625 });
  assert.deepEqual(high.layers.map((l) => l.removed), [2, 3]);
  assert.equal(high.sqErr, 5.75);
});

test('a budget that ends inside a curve segment: one layer interpolated, exact count', () => {
  const coarse = (layer: LayerCurveInput, sqErr: number, importance: number): LayerCurveInput => ({
    ...layer,
    curve: [{ sparsity: 0, sqErr: 0, importanceRemoved: 0 }, { sparsity: 0.5, sqErr, importanceRemoved: importance }],
  });
  const plan = planPruning([coarse(a, 5, 3), coarse(b, 0.5, 1)], { target: 0.375 });
  // b's whole segment (0.25 per parameter) first, then 1 of a's (2.5 per parameter, interpolated)
  assert.deepEqual(plan.layers.map((l) => [l.removed, l.onGrid]), [[1, false], [2, true]]);
  assert.deepEqual(plan.layers.map((l) => l.sqErr), [2.5, 0.5]);
  assert.equal(plan.layers[0]!.importanceRemoved, 1.5);
  assert.equal(plan.sqErr, 3);
  assert.equal(plan.lowerBoundRelErr, plan.relErr);
  assert.equal(plan.removed, 3);
});

/** A smooth convex curve on the default grid: sqErr = scale * p^2 * params. */
function smooth(layer: string, params: number, scale: number, outlierRatio?: number): LayerCurveInput {
  return {
    layer,
    params,
    sqNorm: scale * params,
    outlierRatio,
    curve: DEFAULT_SPARSITY_GRID.map((p) => ({ sparsity: p, sqErr: scale * p * p * params, importanceRemoved: p * p })),
  };
}

test('owl, equal layers: T - lambda, T, T + lambda by outlier ratio', () => {
  const layers = [smooth('x', 100, 1, 0.01), smooth('y', 100, 1, 0.03), smooth('z', 100, 1, 0.02)];
  const plan = planPruning(layers, { target: 0.5, strategy: 'owl' });
  assert.deepEqual(plan.layers.map((l) => l.removed), [58, 42, 50]);
  assert.equal(plan.removed, 150);
});

test('owl, unequal sizes: the weighted shift would leave the band, so the small layer stops at T + lambda', () => {
  const layers = [smooth('small', 100, 1, 0), smooth('large', 300, 1, 1)];
  const plan = planPruning(layers, { target: 0.5, strategy: 'owl', lambda: 0.08 });
  // unclamped: 100 (c + 0.08) + 300 (c - 0.08) = 200 gives 0.62 and 0.46; clamped: 58 + 142
  assert.deepEqual(plan.layers.map((l) => l.removed), [58, 142]);
  assert.equal(plan.feasible, true);
});

test('one layer: every strategy removes floor(T * n), on the grid', () => {
  const layer = smooth('only', 1000, 2, 0.01);
  for (const strategy of ['uniform', 'error-optimal', 'owl'] as const) {
    const plan = planPruning([layer], { target: 0.37, strategy });
    assert.equal(plan.layers[0]!.removed, 370, strategy);
    assert.equal(plan.layers[0]!.onGrid, true);
    assert.ok(Math.abs(plan.sqErr - 2 * 0.37 * 0.37 * 1000) < 1e-9, strategy);
  }
});
