// How fast a pruning plan is recomputed (the language server does it on every slider move):
// 100 layers with 96-point error curves, median of 25 runs. Goal: well under 10 ms.
import { DEFAULT_SPARSITY_GRID } from '../../server/src/analysis/errorCurve.ts';
import { planPruning, preparePlan, type LayerCurveInput } from '../../server/src/analysis/pruningPlan.ts';
import { machineDescription } from './machine.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const random = seeded(10);
const layers: LayerCurveInput[] = Array.from({ length: 100 }, (_, l) => {
  const params = 1_000_000 + Math.floor(random() * 10_000_000);
  const scale = 0.5 + random();
  const bend = 1.5 + random();
  return {
    layer: `model.layers.${l}.mlp`,
    params,
    sqNorm: params * scale,
    outlierRatio: random() * 0.01,
    curve: DEFAULT_SPARSITY_GRID.map((p) => ({ sparsity: p, sqErr: params * scale * p ** bend * (1 + 0.05 * random() * p), importanceRemoved: p })),
  };
});

function median(run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < 25; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[12]!;
}

const prepared = preparePlan(layers);
console.log(`machine: ${machineDescription()}`);
console.log(`plan, 100 layers, from raw curves:        ${median(() => planPruning(layers, { target: 0.5 })).toFixed(3)} ms`);
console.log(`plan, prepared, error-optimal (slider):    ${median(() => planPruning(prepared, { target: 0.3 + random() * 0.4 })).toFixed(3)} ms`);
console.log(`plan, prepared, OWL:                       ${median(() => planPruning(prepared, { target: 0.5, strategy: 'owl' })).toFixed(3)} ms`);
