// Language-server latency, measured by a JSON-RPC client over stdio against `node dist/cli.js serve --stdio`
// on a copy of tiny-llama checkpoint-200 (the statistics already computed, i.e. warm):
// - hover p50/p95 over 500 sequential hovers on tensor names in several forms (goal: p95 < 50 ms);
// - 1,000 concurrent hovers: wall time and per-request p95;
// - pruning-plan requests at varying targets (the slider path): p50/p95 (goal: < 200 ms).
// Run: npm run bench -- hover
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hoverText, positionOf, startLanguageServer } from '../../test/server/lspHarness.ts';
import { machineDescription } from './machine.ts';

const PY = [
  'w = sd["model.layers.0.self_attn.q_proj.weight"]',
  'up = model.layers.1.mlp.up_proj.weight',
  'down = self.model.layers[0].mlp.down_proj.weight.data',
  '# layers.0.self_attn.k_proj',
  'head = lm_head',
].join('\n');
const NEEDLES = ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.mlp.up_proj.weight', 'mlp.down_proj', 'layers.0.self_attn.k_proj', 'lm_head'];
const NAMES = ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.mlp.up_proj.weight', 'model.layers.0.mlp.down_proj.weight', 'model.layers.0.self_attn.k_proj.weight', 'lm_head.weight'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function summary(times: number[]): string {
  const s = [...times].sort((a, b) => a - b);
  return `p50 ${percentile(s, 0.5).toFixed(2)} ms, p95 ${percentile(s, 0.95).toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms (n = ${s.length})`;
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await run();
  return [value, performance.now() - start];
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'ckpt-lens-bench-hover-'));
  const root = join(base, 'ws');
  cpSync('test/fixtures/tiny-llama/checkpoint-200', join(root, 'checkpoint-200'), { recursive: true });
  const client = await startLanguageServer({ root, settings: { computeBackend: 'cpu', cacheDir: join(base, 'cache') } });
  try {
    await client.waitForNotification('checkpointLens/checkpointsChanged');
    const uri = client.open(join(root, 'train.py'), PY);
    const positions = NEEDLES.map((n) => positionOf(PY, n, 1));
    const [, analyzeMs] = await timed(() => client.request('checkpointLens/analyze', {}));
    for (const tensor of NAMES) await client.request('checkpointLens/tensorSummary', { tensor });
    for (let i = 0; i < 50; i++) await client.hover(uri, positions[i % 5]!.line, positions[i % 5]!.character);

    const sequential: number[] = [];
    for (let i = 0; i < 500; i++) {
      const p = positions[i % positions.length]!;
      const [h, ms] = await timed(() => client.hover(uri, p.line, p.character));
      if (!hoverText(h).includes('| weight |')) throw new Error(`hover ${i} has no statistics`);
      sequential.push(ms);
    }

    const concurrent: number[] = [];
    const [, wall] = await timed(() =>
      Promise.all(Array.from({ length: 1000 }, (_, i) => {
        const p = positions[i % positions.length]!;
        return timed(() => client.hover(uri, p.line, p.character)).then(([h, ms]) => {
          if (h === null) throw new Error(`concurrent hover ${i} failed`);
          concurrent.push(ms);
        });
      })),
    );

    const [, firstPlanMs] = await timed(() => client.request('checkpointLens/pruningPlan', { target: 0.5 }));
    const plans: number[] = [];
    for (let i = 0; i < 100; i++) {
      const [, ms] = await timed(() => client.request('checkpointLens/pruningPlan', { target: 0.3 + (0.4 * i) / 100, criterion: i % 2 === 0 ? 'magnitude' : 'taylor' }));
      plans.push(ms);
    }

    console.log(`machine: ${machineDescription()}`);
    console.log(`workspace: tiny-llama checkpoint-200 (21 tensors, 164,160 parameters); full analysis ${analyzeMs.toFixed(0)} ms (CPU backend)`);
    console.log(`hover, warm, sequential:        ${summary(sequential)}   goal p95 < 50 ms`);
    console.log(`hover, warm, 1,000 concurrent:  all answered in ${wall.toFixed(0)} ms; per request ${summary(concurrent)}`);
    console.log(`pruning plan, first (builds the planner): ${firstPlanMs.toFixed(2)} ms`);
    console.log(`pruning plan, warm (slider):    ${summary(plans)}   goal < 200 ms`);
  } finally {
    await client.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
