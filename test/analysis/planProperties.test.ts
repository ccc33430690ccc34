// Properties of pruning plans on measured curves (random and heavy-tailed layers, several seeds): the
// error-optimal plan beats uniform, hits the target to the element, matches exhaustive search on small
// models, and OWL stays in its band, ordered against the outlier ratio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPruning, preparePlan, type LayerCurveInput } from '../../server/src/analysis/pruningPlan.ts';
import { prepareLayer, valueAt } from '../../server/src/analysis/planCurves.ts';
import { measuredLayer, outlierRatio, seeded, weights } from './errorCurveData.ts';

type Criterion = 'magnitude' | 'taylor' | 'obd';

/** A model of `count` layers of varied size and scale, every other one heavy-tailed. */
function model(seed: number, count: number, criterion: Criterion): LayerCurveInput[] {
  const random = seeded(seed);
  return Array.from({ length: count }, (_, l) => {
    const n = 500 + Math.floor(random() * 4000);
    const w = weights(n, random, l % 2 === 0, 0.01 + random() * 0.05);
    const m = Float32Array.from(w, () => (random() < 0.2 ? 0 : random() - 0.5));
    const v = Float32Array.from(w, () => random());
    const s =
      criterion === 'magnitude' ? w.map(Math.abs) : criterion === 'taylor' ? w.map((x, i) => Math.abs(x * m[i]!)) : w.map((x, i) => 0.5 * v[i]! * x * x);
    return measuredLayer(`layers.${l}`, w, s, { outlierRatio: outlierRatio(w) });
  });
}

const TARGETS = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9];

test('error-optimal total error <= uniform, >= its lower bound; target hit exactly (magnitude)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const prepared = preparePlan(model(seed, 10, 'magnitude'));
    for (const target of TARGETS) {
      const optimal = planPruning(prepared, { target });
      const uniform = planPruning(prepared, { target, strategy: 'uniform' });
      const label = `seed ${seed} target ${target}`;
      assert.ok(optimal.sqErr <= uniform.sqErr * (1 + 1e-12), `${label}: ${optimal.sqErr} > uniform ${uniform.sqErr}`);
      assert.ok(optimal.relErr >= optimal.lowerBoundRelErr! * (1 - 1e-12), label);
      // convex curves: the greedy is exact, so the bound is attained
      assert.ok(Math.abs(optimal.relErr - optimal.lowerBoundRelErr!) <= 1e-9 * optimal.relErr, `${label}: gap to bound`);
      for (const plan of [optimal, uniform, planPruning(prepared, { target, strategy: 'owl' })]) {
        assert.equal(plan.removed, plan.targetRemoved, `${label} ${plan.strategy}`);
        assert.ok(Math.abs(plan.achievedSparsity - target) <= 1 / plan.paramsBefore, `${label} ${plan.strategy}`);
        assert.equal(plan.feasible, true);
      }
      if (target === 0.5) {
        const ratios = new Set(optimal.layers.map((l) => l.ratio.toFixed(3)));
        assert.ok(ratios.size > 3, `${label}: error-optimal ratios should differ between layers`);
        assert.ok(optimal.sqErr < 0.95 * uniform.sqErr, `${label}: a real gain over uniform on mixed layers`);
      }
    }
  }
});

test('non-convex curves (Taylor, OBD importance): still <= uniform and >= the hull bound', () => {
  for (const criterion of ['taylor', 'obd'] as const) {
    for (const seed of [7, 8, 9]) {
      const prepared = preparePlan(model(seed, 8, criterion));
      for (const target of TARGETS) {
        const optimal = planPruning(prepared, { target });
        const uniform = planPruning(prepared, { target, strategy: 'uniform' });
        const label = `${criterion} seed ${seed} target ${target}`;
        assert.ok(optimal.sqErr <= uniform.sqErr * (1 + 1e-12), label);
        assert.ok(optimal.relErr >= optimal.lowerBoundRelErr! * (1 - 1e-12), label);
        assert.equal(optimal.removed, optimal.targetRemoved, label);
      }
    }
  }
});

/** Exhaustive minimum of the total (interpolated) error over all integer splits of `budget`. */
function bruteForce(layers: LayerCurveInput[], budget: number): number {
  const prepared = layers.map(prepareLayer);
  let best = Infinity;
  const visit = (l: number, left: number, sqErr: number) => {
    if (l === prepared.length) {
      if (left === 0) best = Math.min(best, sqErr);
      return;
    }
    const layer = prepared[l]!;
    for (let k = 0; k <= Math.min(left, layer.cap); k++) visit(l + 1, left - k, sqErr + valueAt(layer, layer.sqErr, k));
  };
  visit(0, budget, 0);
  return best;
}

test('small models: error-optimal equals exhaustive search over all integer splits', () => {
  for (const seed of [1, 2, 3, 4]) {
    const random = seeded(100 + seed);
    const layers = [0, 1, 2].map((l) => {
      const n = 12 + Math.floor(random() * 20);
      return measuredLayer(`l${l}`, weights(n, random, l === 1, 1 + l));
    });
    const total = layers.reduce((sum, l) => sum + l.params, 0);
    for (const target of [0.1, 0.3, 0.5, 0.7, 0.9]) {
      const plan = planPruning(layers, { target });
      const best = bruteForce(layers, plan.targetRemoved);
      assert.ok(Math.abs(plan.sqErr - best) <= 1e-9 * Math.max(1, best), `seed ${seed} target ${target}: ${plan.sqErr} vs ${best} (${total} params)`);
    }
  }
});

test('owl: ratios within [T - lambda, T + lambda] and ordered against the outlier ratio', () => {
  for (const seed of [1, 2, 3]) {
    const layers = model(seed, 12, 'magnitude');
    for (const [target, lambda] of [[0.3, 0.08], [0.5, 0.08], [0.7, 0.05]] as const) {
      const plan = planPruning(layers, { target, strategy: 'owl', lambda });
      const rows = plan.layers.map((l, i) => ({ ratio: l.ratio, o: layers[i]!.outlierRatio!, slack: 1 / l.params }));
      for (const row of rows) {
        assert.ok(row.ratio >= target - lambda - row.slack && row.ratio <= target + lambda + row.slack, `seed ${seed}: ratio ${row.ratio} outside T±λ`);
      }
      const byOutliers = [...rows].sort((x, y) => x.o - y.o);
      for (let i = 1; i < byOutliers.length; i++) {
        const [less, more] = [byOutliers[i - 1]!, byOutliers[i]!];
        if (more.o > less.o) assert.ok(more.ratio <= less.ratio + less.slack + more.slack, `seed ${seed}: more outliers, pruned more`);
      }
      const spread = Math.max(...rows.map((r) => r.ratio)) - Math.min(...rows.map((r) => r.ratio));
      assert.ok(spread > lambda, `seed ${seed}: OWL should spread ratios (spread ${spread})`);
      assert.equal(plan.removed, plan.targetRemoved);
    }
  }
});
