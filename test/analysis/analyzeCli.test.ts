// Acceptance of issue 4 through the CLI, as a user runs it: `analyze --json` agrees with PyTorch's
// reference numbers on both fixture sets and both backends; the zero-point effect shows; plans and
// pruned checkpoints behave.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { loadReference, assertStatsEqual } from '../helpers/referenceStats.ts';
import { makeTempDir } from '../helpers/tempDir.ts';
import { closeGpus, gpuOrSkip } from '../kernels/gpuEnv.ts';
import { openSafetensors } from '../../server/src/formats/safetensors/reader.ts';
import { writeSafetensors } from '../../server/src/formats/safetensors/writer.ts';
import { readTensorFloat32 } from '../../server/src/formats/tensorData.ts';

after(closeGpus);

const FIX = 'test/fixtures';
const QUANT_KEYS = ['exp_avg_b128_de4', 'exp_avg_sq_rank1_lin0_4', 'exp_avg_sq_b128_de4', 'exp_avg_sq_b128_de0_4'] as const;

function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected} (rel ${rel})`);
}

async function analyzeJson(args: string[]) {
  const tmp = makeTempDir('ckpt-lens-cache-');
  try {
    const r = await runCli(['analyze', ...args, '--json', '--cache-dir', tmp.dir], 300_000);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  } finally {
    await tmp.remove();
  }
}

function assertMatchesReference(report: { tensors: Record<string, Record<string, any>> }, refName: string): void {
  const ref = loadReference(refName);
  assert.deepEqual(Object.keys(report.tensors), Object.keys(ref.tensors));
  for (const [name, expected] of Object.entries(ref.tensors) as Array<[string, Record<string, any>]>) {
    const got = report.tensors[name]!;
    for (const kind of ['weight', 'exp_avg', 'exp_avg_sq'] as const) assertStatsEqual(got[kind], expected[kind], `${name} ${kind}`);
    for (const key of QUANT_KEYS) {
      if (!expected[key]) {
        assert.equal(got[key], undefined, `${name}: ${key} only for tensors of more than 4096 elements`);
        continue;
      }
      for (const [metric, value] of Object.entries(expected[key] as Record<string, number>)) close(got[key][metric], value, 1e-4, `${name} ${key}.${metric}`);
    }
    if (expected.excp_default) {
      assert.equal(got.excp_default.kept_w, expected.excp_default.kept_w, `${name} kept_w`);
      assert.equal(got.excp_default.kept_m, expected.excp_default.kept_m, `${name} kept_m`);
      close(got.excp_default.threshold_w, expected.excp_default.threshold_w, 1e-6, `${name} threshold_w`);
    }
  }
}

for (const backend of ['cpu', 'webgpu'] as const) {
  test(`analyze --json --backend ${backend} agrees with PyTorch on tiny-llama step 200 (ref 100) and tiny-llama-bf16 step 200 (ref 100)`, async (t) => {
    if (backend === 'webgpu' && !(await gpuOrSkip(t))) return;
    const f32 = await analyzeJson([join(FIX, 'tiny-llama/checkpoint-200'), '--ref', join(FIX, 'tiny-llama/checkpoint-100'), '--backend', backend]);
    assertMatchesReference(f32, 'tiny-llama-checkpoint-200');
    assert.match(f32.backend, backend === 'cpu' ? /CPU/ : /WebGPU/);
    // The zero-point effect where the reference shows it: ~9 with a zero in the codebook, ~0.12 without.
    const up = f32.tensors['model.layers.1.mlp.up_proj.weight'];
    assert.ok(up.zero_point.with_zero.update_rel_err > 5, `with zero: ${up.zero_point.with_zero.update_rel_err}`);
    assert.ok(up.zero_point.without_zero.update_rel_err < 0.2, `without zero: ${up.zero_point.without_zero.update_rel_err}`);
    assert.ok(up.zero_point.with_zero.zero_frac > up.zero_point.without_zero.zero_frac);
    const bf16 = await analyzeJson([join(FIX, 'tiny-llama-bf16/checkpoint-200'), '--ref', join(FIX, 'tiny-llama-bf16/checkpoint-100'), '--backend', backend]);
    assertMatchesReference(bf16, 'tiny-llama-bf16-checkpoint-200');
  });
}

test('analyze reports every documented part per tensor and per layer', async () => {
  const r = await analyzeJson([join(FIX, 'tiny-llama/checkpoint-200'), '--backend', 'cpu']);
  assert.equal(r.architecture.family, 'llama');
  assert.deepEqual(r.layers.map((l: { id: string }) => l.id), ['embeddings', 'layers.0', 'layers.1', 'final_norm', 'head']);
  const t = r.tensors['model.layers.0.mlp.down_proj.weight'];
  for (const k of ['skewness', 'kurtosis', 'nan', 'inf']) assert.ok(k in t.weight, k);
  for (const h of ['weight', 'weight_log', 'exp_avg', 'exp_avg_sq', 'update']) assert.equal(t.histograms[h].counts.reduce((a: number, b: number) => a + b, 0) + t.histograms[h].below + t.histograms[h].above + t.histograms[h].zeros + t.histograms[h].nan, t.numel, h);
  for (const k of ['weight_b32_lin8', 'weight_b2048_de4', 'exp_avg_b2048_de4', 'exp_avg_sq_b128_lin4', 'exp_avg_sq_b128_lin0_4', 'exp_avg_sq_factored']) assert.ok(t[k].rel_err >= 0, k);
  assert.ok(['row', 'column', 'both', 'none'].includes(t.outliers.pattern));
  assert.deepEqual(Object.keys(t.pruning.curves).sort(), ['excp', 'magnitude', 'obd', 'taylor']);
  assert.equal(t.pruning.curves.magnitude.rel_err[0], 0);
  assert.equal(t.pruning.nm_2_4.kept, t.numel / 2);
  // int8 is far more accurate than int4 on the same blocks.
  assert.ok(t.weight_b128_lin8.rel_err < t.weight_b128_lin4.rel_err / 4);
});

/**
 * The fixture's two blocks are statistically alike, so a uniform plan is already optimal for them.
 * This copy scales block 1 by 3: its errors then weigh 9x, and the optimal plan must prune block 0 more.
 */
async function unevenCheckpoint(dir: string): Promise<string> {
  mkdirSync(dir);
  const src = await openSafetensors(join(FIX, 'tiny-llama/checkpoint-200/model.safetensors'));
  const entries = [];
  for (const ref of src.tensors) {
    const values = await readTensorFloat32(ref);
    if (ref.name.startsWith('model.layers.1.')) for (let i = 0; i < values.length; i++) values[i] *= 3;
    entries.push({ name: ref.name, dtype: 'F32' as const, shape: ref.shape, data: new Uint8Array(values.buffer) });
  }
  await writeSafetensors(join(dir, 'model.safetensors'), entries);
  return dir;
}

test('a 50% pruning plan is non-uniform and beats the uniform plan; prune writes a checkpoint PyTorch reads', async (t) => {
  const tmp = makeTempDir('ckpt-lens-prune-');
  try {
    const ckpt = await unevenCheckpoint(join(tmp.dir, 'uneven'));
    const plan = async (strategy: string) => {
      const r = await runCli(['prune-plan', ckpt, '--target', '0.5', '--strategy', strategy, '--json', '--backend', 'cpu', '--cache-dir', tmp.dir]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const optimal = await plan('error-optimal');
    const uniform = await plan('uniform');
    const ratios = optimal.layers.map((l: { ratio: number }) => l.ratio);
    assert.ok(Math.max(...ratios) - Math.min(...ratios) > 0.01, `non-uniform: ${ratios}`);
    assert.ok(optimal.relErr < uniform.relErr, `${optimal.relErr} < ${uniform.relErr}`);
    assert.equal(optimal.removed, optimal.targetRemoved);
    const planFile = await tmp.put('plan.json', JSON.stringify(optimal));
    const out = join(tmp.dir, 'pruned');
    const r = await runCli(['prune', ckpt, '--plan', planFile, '-o', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    // Our reader opens it with the same layout.
    const inspected = JSON.parse((await runCli(['inspect', out, '--json'])).stdout);
    assert.equal(inspected.format, 'safetensors');
    assert.equal(inspected.totals.numel, 164160);
    // PyTorch reads it: every pruned tensor has exactly the planned zeros, the rest of it is unchanged.
    const { havePythonModule, runPython } = await import('../helpers/python.ts');
    if (!havePythonModule(t, 'torch')) return;
    const pruned = JSON.parse(runPython('test/python/read_safetensors.py', join(out, 'model.safetensors'))).tensors;
    const original = JSON.parse(runPython('test/python/read_safetensors.py', join(ckpt, 'model.safetensors'))).tensors;
    for (const p of result.tensors as Array<{ name: string; removed: number }>) {
      const a: number[] = original[p.name].values;
      const b: number[] = pruned[p.name].values;
      assert.equal(b.filter((x, i) => x === 0 && a[i] !== 0).length, p.removed, p.name);
      assert.ok(b.every((x, i) => x === 0 || x === a[i]), `${p.name}: kept weights unchanged`);
    }
  } finally {
    await tmp.remove();
  }
});

test('a second analyze of the same files is served from the cache', async () => {
  const tmp = makeTempDir('ckpt-lens-cache-');
  try {
    const args = ['analyze', join(FIX, 'tiny-llama/checkpoint-100'), '--json', '--backend', 'cpu', '--cache-dir', tmp.dir];
    const first = await runCli(args);
    assert.match(first.stderr, /compute: CPU/);
    const second = await runCli(args);
    assert.equal(second.code, 0);
    assert.doesNotMatch(second.stderr, /compute:/, 'no backend was opened: the result came from the cache');
    assert.equal(second.stdout, first.stdout);
  } finally {
    await tmp.remove();
  }
});

test('a structured plan removes whole MLP channels: gate/up rows and down_proj columns are zero after prune', async () => {
  const tmp = makeTempDir('ckpt-lens-structured-');
  try {
    const ckpt = join(FIX, 'tiny-llama/checkpoint-200');
    const r = await runCli(['prune-plan', ckpt, '--target', '0.3', '--structured', '--criterion', 'taylor', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.structured, true);
    assert.ok(plan.achievedSparsity >= 0.3 && plan.achievedSparsity < 0.31, String(plan.achievedSparsity));
    const mlp = plan.layers.map((l: { groups: Array<{ kind: string; removed: number[] }> }) => l.groups.find((g) => g.kind === 'mlp_channel')!.removed);
    assert.ok(mlp.every((ch: number[]) => ch.length > 0));
    const out = join(tmp.dir, 'pruned');
    const p = await runCli(['prune', ckpt, '--plan', await tmp.put('plan.json', r.stdout), '-o', out, '--json']);
    assert.equal(p.code, 0, p.stderr);
    const st = await openSafetensors(join(out, 'model.safetensors'));
    const read = async (name: string) => readTensorFloat32(st.tensors.find((t) => t.name === name)!);
    for (const [layer, channels] of mlp.entries()) {
      const gate = await read(`model.layers.${layer}.mlp.gate_proj.weight`); // [256, 64]
      const down = await read(`model.layers.${layer}.mlp.down_proj.weight`); // [64, 256]
      const removed = new Set<number>(channels);
      for (let c = 0; c < 256; c++) {
        const rowZero = gate.subarray(c * 64, (c + 1) * 64).every((x) => x === 0);
        let colZero = true;
        for (let r = 0; r < 64; r++) colZero &&= down[r * 256 + c] === 0;
        assert.equal(rowZero, removed.has(c), `layer ${layer} gate row ${c}`);
        assert.equal(colZero, removed.has(c), `layer ${layer} down column ${c}`);
      }
    }
  } finally {
    await tmp.remove();
  }
});
