// Pruning plans at the edges: targets 0 and 0.95 and beyond, one layer, an all-zero layer, a layer
// without parameters, overrides (kept, re-allocated around, infeasible), bad input, honest bytes, speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPruning, type LayerCurveInput, type PlanStrategy } from '../../server/src/analysis/pruningPlan.ts';
import { DEFAULT_SPARSITY_GRID } from '../../server/src/analysis/errorCurve.ts';
import { measuredLayer, outlierRatio, seeded, weights } from './errorCurveData.ts';

const STRATEGIES: PlanStrategy[] = ['uniform', 'error-optimal', 'owl'];

function randomLayers(seed: number, sizes: number[]): LayerCurveInput[] {
  const random = seeded(seed);
  return sizes.map((n, l) => {
    const w = weights(n, random, l % 2 === 1, 0.02 * (l + 1));
    return measuredLayer(`layers.${l}`, w, undefined, { outlierRatio: outlierRatio(w) });
  });
}

test('target 0: nothing removed, no error, every strategy', () => {
  const layers = randomLayers(1, [200, 300, 400]);
  for (const strategy of STRATEGIES) {
    const plan = planPruning(layers, { target: 0, strategy });
    assert.ok(plan.layers.every((l) => l.removed === 0 && l.ratio === 0 && l.sqErr === 0 && l.kept === l.params), strategy);
    assert.deepEqual([plan.removed, plan.sqErr, plan.relErr, plan.feasible], [0, 0, 0, true]);
  }
});

test('target 0.95 (the grid maximum): every layer at 95% when sizes allow it exactly', () => {
  const layers = randomLayers(2, [200, 400, 600]);
  for (const strategy of STRATEGIES) {
    const plan = planPruning(layers, { target: 0.95, strategy });
    assert.deepEqual(plan.layers.map((l) => l.ratio), [0.95, 0.95, 0.95], strategy);
    assert.equal(plan.feasible, true, strategy);
    assert.equal(plan.achievedSparsity, 0.95);
  }
});

test('beyond the caps: achieved sparsity reported honestly, with the shortfall', () => {
  const odd = randomLayers(3, [21, 33]);
  const plan = planPruning(odd, { target: 0.95 });
  // caps floor(0.95 * 21) + floor(0.95 * 33) = 19 + 31 = 50 < floor(0.95 * 54) = 51
  assert.equal(plan.targetRemoved, 51);
  assert.equal(plan.removed, 50);
  assert.equal(plan.feasible, false);
  assert.match(plan.messages.join('\n'), /infeasible: 51 more removals are needed but the layers can take only 50 .* falls 1 parameters/);

  const full = planPruning(randomLayers(3, [100, 100]), { target: 1, strategy: 'uniform' });
  assert.equal(full.feasible, false);
  assert.equal(full.achievedSparsity, 0.95);
});

test('an all-zero layer is pruned first (it costs nothing); its relative error is 0', () => {
  const zero = measuredLayer('zeros', new Float32Array(100));
  const [normal] = randomLayers(4, [100]);
  const plan = planPruning([zero, normal!], { target: 0.3 });
  assert.deepEqual(plan.layers.map((l) => l.removed), [60, 0]);
  assert.deepEqual(plan.layers.map((l) => l.relErr), [0, 0]);
  assert.equal(plan.sqErr, 0);
  const uniform = planPruning([zero, normal!], { target: 0.3, strategy: 'uniform' });
  assert.equal(uniform.layers[0]!.relErr, 0);
  assert.ok(uniform.layers[1]!.relErr > 0);
});

test('a layer with no parameters takes no part and breaks nothing', () => {
  const empty: LayerCurveInput = { layer: 'empty', params: 0, sqNorm: 0, curve: DEFAULT_SPARSITY_GRID.map((p) => ({ sparsity: p, sqErr: 0, importanceRemoved: 0 })) };
  const layers = [empty, ...randomLayers(5, [300, 500])];
  for (const strategy of STRATEGIES) {
    const plan = planPruning(layers, { target: 0.5, strategy });
    assert.deepEqual([plan.layers[0]!.ratio, plan.layers[0]!.kept, plan.layers[0]!.relErr], [0, 0, 0], strategy);
    assert.equal(plan.removed, 400, strategy);
    assert.equal(plan.feasible, true, strategy);
  }
});

test('overrides are kept exactly and the other layers make up the target', () => {
  const layers = randomLayers(6, [1000, 2000, 3000, 4000]);
  for (const strategy of STRATEGIES) {
    const plan = planPruning(layers, { target: 0.5, strategy, overrides: { 'layers.0': 0.1, 'layers.3': 0.2 } });
    assert.deepEqual([plan.layers[0]!.ratio, plan.layers[0]!.fixed, plan.layers[3]!.ratio, plan.layers[3]!.fixed], [0.1, true, 0.2, true], strategy);
    assert.equal(plan.removed, 5000, strategy);
    assert.equal(plan.feasible, true, strategy);
    // the free layers share 5000 - 100 - 800 = 4100 of their 5000
    assert.equal(plan.layers[1]!.removed + plan.layers[2]!.removed, 4100, strategy);
    if (strategy === 'uniform') assert.deepEqual([plan.layers[1]!.ratio, plan.layers[2]!.ratio], [0.82, 0.82]);
  }
});

test('infeasible overrides are reported, not hidden', () => {
  const layers = randomLayers(7, [1000, 1000]);
  const tooMuch = planPruning(layers, { target: 0.2, overrides: { 'layers.0': 0.9 } });
  assert.equal(tooMuch.feasible, false);
  assert.deepEqual(tooMuch.layers.map((l) => l.removed), [900, 0]);
  assert.match(tooMuch.messages[0]!, /infeasible: the overridden layers alone remove 500 parameters more than the target/);

  const tooLittle = planPruning(layers, { target: 0.9, overrides: { 'layers.0': 0.5 } });
  assert.equal(tooLittle.feasible, false);
  assert.deepEqual(tooLittle.layers.map((l) => l.removed), [500, 950]);
  assert.match(tooLittle.messages[0]!, /the non-overridden layers can take only 950/);

  const beyondCurve = planPruning(layers, { target: 0.5, overrides: { 'layers.1': 0.99 } });
  assert.equal(beyondCurve.layers[1]!.removed, 950);
  assert.equal(beyondCurve.feasible, false);
  assert.match(beyondCurve.messages[0]!, /layer "layers.1": override 0.99 is beyond its curve/);
});

test('bad input: clear errors', () => {
  const layers = randomLayers(8, [100, 100]);
  assert.throws(() => planPruning(layers, { target: 1.5 }), /target sparsity 1.5 is not in \[0, 1\]/);
  assert.throws(() => planPruning(layers, { target: 0.5, overrides: { nope: 0.1 } }), /override for unknown layer "nope"/);
  assert.throws(() => planPruning(layers, { target: 0.5, overrides: { 'layers.0': -0.1 } }), /ratio -0.1 is not in \[0, 1\]/);
  assert.throws(() => planPruning(layers, { target: 0.5, strategy: 'magic' as PlanStrategy }), /unknown strategy "magic"/);
  assert.throws(() => planPruning([layers[0]!, layers[0]!], { target: 0.5 }), /layer "layers.0" appears twice/);
  const { outlierRatio: _, ...withoutOutliers } = layers[1]!;
  assert.throws(() => planPruning([layers[0]!, withoutOutliers], { target: 0.5, strategy: 'owl' }), /owl: layer "layers.1" needs an outlierRatio/);
  const backwards = { ...layers[0]!, curve: [{ sparsity: 0.2, sqErr: 1, importanceRemoved: 1 }, { sparsity: 0.1, sqErr: 2, importanceRemoved: 2 }] };
  assert.throws(() => planPruning([backwards], { target: 0.1 }), /layer "layers.0": curve point 1: sparsity 0.1 does not increase/);
  assert.throws(() => planPruning([{ ...layers[0]!, params: -1 }], { target: 0.1 }), /params -1 is not a non-negative integer/);
});

test('bytes: a dense file keeps its size; sparse encodings computed from kept values', () => {
  const layers = randomLayers(9, [1000, 3000]).map((l, i) => ({ ...l, bytesPerParam: i === 0 ? 2 : undefined }));
  const plan = planPruning(layers, { target: 0.5, strategy: 'uniform', bytesPerParam: 4 });
  // kept 500 (2-byte) + 1500 (4-byte)
  assert.equal(plan.bytes.denseBytes, 1000 * 2 + 3000 * 4);
  assert.equal(plan.bytes.denseBytesAfter, plan.bytes.denseBytes);
  assert.equal(plan.bytes.sparseBitmaskBytes, 500 * 2 + 125 + 1500 * 4 + 375);
  assert.equal(plan.bytes.sparseIndexBytes, 500 * 6 + 1500 * 8);
  assert.match(plan.bytes.note, /does not shrink a dense file/);
  assert.doesNotMatch(plan.bytes.note, /assume/);
  assert.match(planPruning(randomLayers(9, [100]), { target: 0.5 }).bytes.note, /assume 4 bytes per parameter/);
});
