// The checkpointLens/* requests over stdio against the real server: analyses equal to `analyze --json`,
// pruning plans equal to `prune-plan --json` and applied to disk, progress and cancellation, and clean
// error responses for bad requests (after which the server still answers).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc';
import type { AnalysisReport, OutliersJson } from '../../server/src/analysis/reportTypes.ts';
import type { CheckpointPlan } from '../../server/src/analysis/planFromReport.ts';
import { openCheckpoint } from '../../server/src/checkpoint/open.ts';
import { readTensorFloat32 } from '../../server/src/formats/tensorData.ts';
import { writeSparseSafetensors } from '../../scripts/bench/sparseCheckpoint.ts';
import type { ApplyPruningPlanResult, CheckpointList, HistogramResult, LayerReportResult } from '../../server/src/protocol.ts';
import { runCli } from '../helpers/cli.ts';
import { CancellationTokenSource, hoverText, startLanguageServer, type LspClient } from './lspHarness.ts';
import { fixtureWorkspace } from './workspace.ts';

const ws = fixtureWorkspace({ sharded: false });
const CK100 = ws.path('run', 'checkpoint-100');
const CK200 = ws.path('run', 'checkpoint-200');
const CK300 = ws.path('run', 'checkpoint-300');
const BIG = ws.path('big');
const UP = 'model.layers.1.mlp.up_proj.weight';
const O_PROJ = 'model.layers.0.self_attn.o_proj.weight';

let client: LspClient;
let analyzed: AnalysisReport;
let withRef: AnalysisReport;

async function cliJson<T>(args: string[]): Promise<T> {
  const r = await runCli([...args, '--json', '--no-cache', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

/** The JSON-RPC error code a request fails with (undefined when it succeeds). */
async function errorCode(p: Promise<unknown>): Promise<{ code: number; message: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    assert.ok(e instanceof ResponseError, String(e));
    return { code: e.code, message: e.message };
  }
}

before(async () => {
  // Eight 16 MiB all-zero tensors (a sparse file): an analysis long enough to cancel midway.
  await writeSparseSafetensors(ws.write('big/model.safetensors', ''), Array.from({ length: 8 }, (_, i) => ({ name: `model.layers.${i}.mlp.up_proj.weight`, dtype: 'F32' as const, shape: [2048, 2048] })));
  analyzed = await cliJson<AnalysisReport>(['analyze', CK200]);
  withRef = await cliJson<AnalysisReport>(['analyze', CK200, '--ref', CK100]);
  client = await startLanguageServer({ root: ws.root, serverProgress: true, settings: { computeBackend: 'cpu', cacheDir: ws.cacheDir, diagnostics: { autoAnalyzeMaxBytes: 0 } } });
  await client.waitForNotification('checkpointLens/checkpointsChanged', (p) => (p as CheckpointList).checkpoints.length === 4);
});

after(async () => {
  assert.equal(await client.stop(), 0);
});

test('listCheckpoints and selectCheckpoint: the run, its steps, the newest by default, a pinned choice', async () => {
  const list = await client.request<CheckpointList>('checkpointLens/listCheckpoints', {});
  const run = list.checkpoints.filter((c) => c.run === ws.path('run'));
  assert.deepEqual(run.map((c) => [c.step, c.kind, c.tensors, c.params, c.optimizer]), [
    [100, 'trainer', 21, 164160, true],
    [200, 'trainer', 21, 164160, true],
    [300, 'trainer', 21, 164160, true],
  ]);
  assert.equal(list.selection, 'auto');
  const pinned = await client.request<CheckpointList>('checkpointLens/selectCheckpoint', { path: CK200 });
  assert.equal(pinned.active, CK200);
  assert.equal(pinned.selection, 'user');
  await client.waitForNotification('checkpointLens/checkpointsChanged', (p) => (p as CheckpointList).active === CK200);
  const backend = (await client.waitForNotification('checkpointLens/backendInfo')) as { choice: string; kind: string; description: string };
  assert.equal(backend.choice, 'cpu');
  assert.equal(backend.kind, 'cpu');
  assert.match(backend.description, /^CPU/);
});

test('layerReport, zeroPoint and histograms equal analyze --json (residuals against the previous step)', async () => {
  const layers = await client.request<LayerReportResult>('checkpointLens/layerReport', { checkpoint: CK200 });
  assert.deepEqual(layers.layers, analyzed.layers);
  assert.deepEqual(layers.model, analyzed.model);
  assert.deepEqual(await client.request('checkpointLens/zeroPoint', { tensor: UP }), analyzed.tensors[UP]!.zero_point);
  for (const kind of ['weight', 'exp_avg', 'exp_avg_sq', 'update'] as const) {
    const h = await client.request<HistogramResult>('checkpointLens/histogram', { tensor: UP, kind });
    const { tensor, kind: k, ...json } = h;
    assert.deepEqual([tensor, k], [UP, kind]);
    assert.deepEqual(json, analyzed.tensors[UP]!.histograms[kind], kind);
  }
  const residual = await client.request<HistogramResult>('checkpointLens/histogram', { tensor: UP, kind: 'residual' });
  const { tensor: _t, kind: _k, ...json } = residual;
  assert.deepEqual(json, withRef.tensors[UP]!.histograms.residual);
});

test('histograms with other bins or axes are computed on the worker over the whole tensor', async () => {
  const t = analyzed.tensors[UP]!;
  const h = await client.request<HistogramResult>('checkpointLens/histogram', { tensor: UP, kind: 'weight', bins: 16 });
  assert.equal(h.counts.length, 16);
  assert.equal(h.total, t.numel);
  assert.equal(h.counts.reduce((a, b) => a + b, 0) + h.below + h.above + h.nan, t.numel);
  assert.deepEqual([h.edges[0], h.edges[16]], [t.weight.min, t.weight.max]);
  const log = await client.request<HistogramResult>('checkpointLens/histogram', { tensor: UP, kind: 'exp_avg', log: true, bins: 40 });
  assert.equal(log.scale, 'log10abs');
  assert.equal(log.counts.reduce((a, b) => a + b, 0) + log.below + log.above + log.zeros + log.nan, t.numel);
});

test('outlierProfile returns the full profiles and honours k', async () => {
  const o = await client.request<OutliersJson>('checkpointLens/outlierProfile', { tensor: O_PROJ, k: 1.2 });
  assert.equal(o.k, 1.2);
  assert.equal(o.row_max_abs!.length, 64);
  assert.equal(o.col_max_abs!.length, 64);
  const expected = o.row_max_abs!.map((v, i) => [v, i] as const).filter(([v]) => v > 1.2 * o.rows.median).map(([, i]) => i);
  assert.deepEqual(o.rows.indices, expected);
  // PyTorch-free cross-check: at k = 1.2, 10 rows and 11 columns of this matrix stand out (and at the default k = 8, none).
  assert.deepEqual([o.rows.indices.length, o.cols.indices.length, o.pattern], [10, 11, 'both']);
  assert.equal(analyzed.tensors[O_PROJ]!.outliers!.pattern, 'none');
});

test('pruningPlan equals prune-plan --json, becomes the current plan in hovers, and takes overrides', async () => {
  const cli = await cliJson<CheckpointPlan>(['prune-plan', CK200, '--target', '0.5']);
  const plan = await client.request<CheckpointPlan>('checkpointLens/pruningPlan', { target: 0.5 });
  assert.deepEqual(plan.tensors, cli.tensors);
  assert.deepEqual(plan.layers, cli.layers);
  assert.equal(plan.relErr, cli.relErr);
  const uri = client.open(ws.path('plan.py'), `p = "${UP}"`);
  const text = hoverText(await client.hover(uri, 0, 8));
  assert.ok(text.includes(`**Pruning plan** (magnitude, error-optimal, target 50.0%): ${(100 * plan.tensors[UP]!).toFixed(1)}% of this tensor`), text);
  const fixed = await client.request<CheckpointPlan>('checkpointLens/pruningPlan', { target: 0.5, criterion: 'taylor', strategy: 'uniform', overrides: { 'layers.0': 0.25 } });
  const l0 = fixed.layers.find((l) => l.layer === 'layers.0')!;
  assert.equal(l0.fixed, true);
  assert.equal(l0.removed, Math.floor(0.25 * l0.params));
  assert.equal(fixed.criterion, 'taylor');
  const bad = await errorCode(client.request('checkpointLens/pruningPlan', { target: 0.5, overrides: { 'layers.9': 0.1 } }));
  assert.equal(bad?.code, -32602);
  assert.match(bad!.message, /unknown layer "layers.9"/);
});

test('applyPruningPlan writes the pruned checkpoint with exactly the planned zeros', async () => {
  const output = ws.path('pruned-200');
  const r = await client.request<ApplyPruningPlanResult>('checkpointLens/applyPruningPlan', { target: 0.3, output });
  assert.equal(r.output, output);
  assert.equal(r.tensors.length, Object.keys(r.plan.tensors).length);
  const pruned = await openCheckpoint(output);
  for (const t of r.tensors) {
    const values = await readTensorFloat32(pruned.tensors.find((x) => x.name === t.name)!);
    assert.equal(values.filter((v) => v === 0).length, t.removed, t.name);
    assert.equal(t.removed, Math.floor(r.plan.tensors[t.name]! * values.length));
  }
  const again = await errorCode(client.request('checkpointLens/applyPruningPlan', { target: 0.3, output }));
  assert.equal(again?.code, -32602);
  assert.match(again!.message, /already exists/);
});

test('a long analysis streams progress, is cancelled midway, and the server keeps answering', async () => {
  const uri = client.open(ws.path('big.py'), 'w = "model.layers.7.mlp.up_proj.weight"');
  // The active checkpoint (200) has no layer 7: no hover, rather than a guess from another layer.
  assert.equal(await client.hover(uri, 0, 8), null);
  await client.request('checkpointLens/selectCheckpoint', { path: BIG });
  const first = hoverText(await client.hover(uri, 0, 8));
  assert.ok(first.includes('_statistics: computing…_'), first);
  const cancel = new CancellationTokenSource();
  const pending = client.request('checkpointLens/analyze', { checkpoint: BIG, workDoneToken: 'big-analysis' }, cancel);
  const begin = await client.waitForProgress((e) => e.token === 'big-analysis' && e.value.kind === 'begin');
  assert.match(begin.value.title!, /^Analysing .*big/);
  await client.waitForProgress((e) => e.token === 'big-analysis' && e.value.kind === 'report' && (e.value.message ?? '').startsWith('model.layers.'));
  cancel.cancel();
  const err = await errorCode(pending);
  assert.equal(err?.code, -32800);
  await client.waitForProgress((e) => e.token === 'big-analysis' && e.value.kind === 'end');
  const list = await client.request<CheckpointList>('checkpointLens/listCheckpoints', {});
  assert.ok(list.checkpoints.some((c) => c.path === BIG));
  const text = hoverText(await client.hover(uri, 0, 8));
  assert.ok(text.startsWith('**model\\.layers\\.7'), text);
  await client.request('checkpointLens/selectCheckpoint', { path: CK200 });
});

test('without a workDoneToken, long requests report server-initiated progress', async () => {
  await client.request('checkpointLens/layerReport', { checkpoint: CK300 });
  const begin = client.progress.find((e) => typeof e.token === 'string' && e.token !== 'big-analysis' && e.value.kind === 'begin' && /checkpoint-300/.test(e.value.title ?? ''));
  assert.ok(begin, JSON.stringify(client.progress.slice(-5)));
  await client.waitForProgress((e) => e.token === begin.token && e.value.kind === 'end');
});

test('bad requests get clean error responses and the server goes on', async () => {
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['checkpointLens/histogram', { tensor: UP, kind: 'weights' }, -32602, /'kind' must be one of/],
    ['checkpointLens/histogram', { tensor: UP, kind: 'weight', bins: 0 }, -32602, /'bins' must be an integer/],
    ['checkpointLens/tensorSummary', { tensor: 'no.such.tensor' }, -32602, /has no tensor named 'no.such.tensor'/],
    ['checkpointLens/tensorSummary', { checkpoint: 'relative/path', tensor: UP }, -32602, /absolute path/],
    ['checkpointLens/tensorSummary', { checkpoint: '/no/such/checkpoint', tensor: UP }, -32002, /no checkpoint at/],
    ['checkpointLens/selectCheckpoint', { path: '/no/such/checkpoint' }, -32602, /no discovered checkpoint/],
    ['checkpointLens/pruningPlan', { target: 2 }, -32602, /'target' must be a sparsity/],
    ['checkpointLens/zeroPoint', { tensor: 'model.norm.weight' }, -32602, /quantization .* is measured from 4097/],
    ['checkpointLens/outlierProfile', { tensor: 'model.norm.weight' }, -32602, /need a matrix/],
    ['checkpointLens/layerReport', [1, 2], -32602, /parameters must be an object/],
    ['checkpointLens/compress', { source: CK200, output: ws.path('x.ckpz'), mode: 'zip' }, -32602, /'mode' must be one of/],
    ['checkpointLens/compress', { source: CK200, output: CK100, mode: 'lossless' }, -32602, /already exists/],
    ['checkpointLens/restore', { archive: ws.path('x.ckpz') }, -32602, /'output'/],
    ['checkpointLens/verify', {}, -32602, /'archive'/],
    ['checkpointLens/noSuchRequest', {}, -32601, /./],
  ];
  for (const [method, params, code, message] of cases) {
    const err = await errorCode(client.request(method, params));
    assert.equal(err?.code, code, `${method} ${JSON.stringify(params)}: ${JSON.stringify(err)}`);
    assert.match(err!.message, message, method);
  }
  const summary = await client.request<{ report: unknown }>('checkpointLens/tensorSummary', { tensor: UP, checkpoint: CK200 });
  assert.deepEqual(summary.report, analyzed.tensors[UP]);
});
