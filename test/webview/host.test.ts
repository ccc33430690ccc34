// The host side of the webviews without VS Code or a browser: the HTML and its CSP, validation of
// what webviews post, state restore arguments, the converters on real analysis results, and the
// panel controllers against a stand-in server that answers from the real analysis.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createController } from '../../client/src/webviews/controllers/create.ts';
import { prunedOutputPath } from '../../client/src/webviews/controllers/pruning.ts';
import { planView, reportData, schemeInfo, schemesOf } from '../../client/src/webviews/convert.ts';
import type { HostUi } from '../../client/src/webviews/hostApi.ts';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../client/src/webviews/html.ts';
import { parseWebviewMessage, restoredArgs } from '../../client/src/webviews/messages.ts';
import { planFromReport } from '../../server/src/analysis/planFromReport.ts';
import { ApplyPruningPlan, HistogramRequest, LayerReportRequest, TensorSummary } from '../../server/src/protocol.ts';
import type { PanelArgs, ToWebview, ViewKind } from '../../webview/src/protocol.ts';
import { FakeServer } from './harness/fakeServer.ts';
import { fixtureReport } from './harness/fixtureReports.ts';
import { noUi } from './harness/viewPage.ts';

const UP = 'model.layers.1.mlp.up_proj.weight';

test('the CSP allows only nonce scripts, our styles (plus the inline ones plotly injects), our images and fonts', () => {
  assert.equal(
    contentSecurityPolicy('https://x.vscode-cdn.net', 'n0nce'),
    "default-src 'none'; script-src 'nonce-n0nce'; style-src https://x.vscode-cdn.net 'unsafe-inline'; img-src https://x.vscode-cdn.net data:; font-src https://x.vscode-cdn.net",
  );
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
  assert.notEqual(makeNonce(), nonce);
  const html = webviewHtml({ view: 'report', title: 'A <b>"report"</b>', cspSource: 'https://x', nonce, scriptUri: 'https://x/report.js', styleUri: 'https://x/report.css', plotlyUri: 'https://x/plotly.js' });
  const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
  assert.deepEqual(scripts.map((m) => m[1]), [` nonce="${nonce}" src="https://x/plotly.js"`, ` nonce="${nonce}" src="https://x/report.js"`]);
  assert.ok(scripts.every((m) => m[2] === ''), 'no inline script');
  assert.ok(html.includes('<title>A &#60;b&#62;&#34;report&#34;&#60;/b&#62;</title>'));
  assert.ok(!html.includes('unsafe-eval'));
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<link'), 'the CSP comes before anything it governs');
});

test('webview sources build DOM from text only and never evaluate strings', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk('webview/src');
  assert.ok(files.length >= 15, `${files.length} files`);
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const bad of [/\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\(/, /new Function\(/]) assert.doesNotMatch(src, bad, f);
  }
});

test('messages from a webview are checked against its view and rebuilt with the known fields only', () => {
  const params = { target: 0.5, criterion: 'obd', strategy: 'owl', overrides: { 'layers.0': 0.25 } };
  assert.deepEqual(parseWebviewMessage('pruning', { type: 'pruning/plan', requestId: 3, params, extra: 'x' }), { type: 'pruning/plan', requestId: 3, params });
  assert.deepEqual(parseWebviewMessage('report', { type: 'report/select', tensor: UP, html: '<b>' }), { type: 'report/select', tensor: UP });
  assert.deepEqual(parseWebviewMessage('histograms', { type: 'histograms/request', requestId: 0, tensor: UP, compareWith: null, xScale: 'log' }), {
    type: 'histograms/request',
    requestId: 0,
    tensor: UP,
    compareWith: null,
    xScale: 'log',
  });
  assert.deepEqual(parseWebviewMessage('zeroPoint', { type: 'ready' }), { type: 'ready' });
  const rejected: Array<[ViewKind, unknown]> = [
    ['pruning', { type: 'report/select', tensor: UP }],
    ['report', { type: 'pruning/plan', requestId: 1, params }],
    ['pruning', { type: 'pruning/plan', requestId: 1, params: { ...params, target: 1.5 } }],
    ['pruning', { type: 'pruning/plan', requestId: 1, params: { ...params, criterion: 'random' } }],
    ['pruning', { type: 'pruning/plan', requestId: 1, params: { ...params, overrides: { 'layers.0': '0.5' } } }],
    ['pruning', { type: 'pruning/plan', requestId: 1.5, params }],
    ['pruning', { type: 'pruning/apply' }],
    ['histograms', { type: 'histograms/request', requestId: 1, tensor: UP, compareWith: null, xScale: 'sqrt' }],
    ['zeroPoint', { type: 'zeroPoint/request', requestId: -1, tensor: UP }],
    ['report', { type: 'report/open', view: 'pruning', tensor: UP }],
    ['report', { type: 'report/select', tensor: '' }],
    ['report', 'ready'],
    ['report', null],
  ];
  for (const [view, m] of rejected) assert.equal(parseWebviewMessage(view, m), undefined, JSON.stringify(m));
});

test('a restored panel reopens on the string arguments its webview saved, and only those', () => {
  assert.deepEqual(restoredArgs('histograms', { view: 'histograms', args: { checkpoint: '/c', tensor: UP, compareWith: 7, other: 'x' }, ui: {} }), { checkpoint: '/c', tensor: UP });
  assert.deepEqual(restoredArgs('pruning', { view: 'report', args: { checkpoint: '/c' } }), {});
  assert.deepEqual(restoredArgs('report', undefined), {});
});

test('scheme keys become chart groups and labels', () => {
  assert.deepEqual(schemeInfo('weight_b128_lin4'), { key: 'weight_b128_lin4', group: 'weight B128', label: 'linear 4-bit' });
  assert.deepEqual(schemeInfo('exp_avg_sq_b128_de0_4'), { key: 'exp_avg_sq_b128_de0_4', group: 'exp_avg_sq', label: 'B128 DE 4-bit, no zero' });
  assert.deepEqual(schemeInfo('exp_avg_sq_b128_de4'), { key: 'exp_avg_sq_b128_de4', group: 'exp_avg_sq', label: 'B128 DE 4-bit, with zero' });
  assert.deepEqual(schemeInfo('exp_avg_sq_rank1_lin0_4'), { key: 'exp_avg_sq_rank1_lin0_4', group: 'exp_avg_sq', label: 'rank-1 linear 4-bit, no zero' });
  assert.deepEqual(schemeInfo('exp_avg_b2048_de8'), { key: 'exp_avg_b2048_de8', group: 'exp_avg', label: 'B2048 DE 8-bit' });
  assert.deepEqual(schemeInfo('exp_avg_sq_factored'), { key: 'exp_avg_sq_factored', group: 'exp_avg_sq', label: 'factorized (Adafactor)' });
  assert.deepEqual(schemeInfo('mystery'), { key: 'mystery', group: 'other', label: 'mystery' });
});

test('report data from the real analysis: typed arrays aligned with the schemes, surviving structured cloning', async () => {
  const r = await fixtureReport(200, 100);
  const schemes = schemesOf(r);
  const d = reportData({}, { path: r.path, label: 'step 200' }, { checkpoint: r.path, architecture: r.architecture, layers: r.layers, model: r.model }, Object.values(r.tensors), null);
  assert.equal(d.rows.length, 21);
  assert.equal(schemes.length, 38);
  const up = d.rows.find((row) => row.name === UP)!;
  assert.ok(up.quantErr instanceof Float64Array && up.quantErr.length === 38);
  const k = schemes.findIndex((s) => s.key === 'exp_avg_sq_b128_de4');
  assert.equal(up.quantErr[k], (r.tensors[UP]!.exp_avg_sq_b128_de4 as { rel_err: number }).rel_err);
  assert.equal(up.suggestedRatio, 0.5);
  assert.equal(up.hasMoments, true);
  const norm = d.rows.find((row) => row.name === 'model.norm.weight')!;
  assert.ok(norm.quantErr.every(Number.isNaN), 'a 64-element norm is not quantized');
  assert.equal(norm.suggestedRatio, null);
  assert.deepEqual(d.defaults, { scheme: 'weight_b128_lin4', group: 'weight B128' });
  assert.deepEqual(d.layers.ids, ['embeddings', 'layers.0', 'layers.1', 'final_norm', 'head']);
  assert.deepEqual(Array.from(d.layers.suggestedRatio), [Number.NaN, 0.5, 0.5, Number.NaN, Number.NaN]);
  // What postMessage does to it: typed arrays stay typed arrays.
  const cloned = structuredClone(d);
  assert.ok(cloned.layers.quant[0] instanceof Float64Array);
  assert.deepEqual(cloned.rows[0]!.quantErr, d.rows[0]!.quantErr);
});

test('plan views carry per-layer typed arrays of the real plan', async () => {
  const r = await fixtureReport(200, 100);
  const plan = planFromReport(r, { target: 0.5, criterion: 'magnitude', strategy: 'error-optimal', overrides: { 'layers.1': 0.3 } });
  const v = planView(plan);
  assert.deepEqual(v.layers, ['layers.0', 'layers.1']);
  assert.deepEqual(Array.from(v.fixed), [0, 1]);
  assert.deepEqual(Array.from(v.ratio), plan.layers.map((l) => l.ratio));
  assert.equal(v.paramsBefore, 131072);
  assert.equal(v.paramsAfter + v.removed, 131072);
  assert.equal(v.relErrTotal, plan.relErr);
});

test('pruned outputs default to a sibling of the checkpoint', () => {
  assert.equal(prunedOutputPath('/runs/a/checkpoint-200', 0.5), '/runs/a/checkpoint-200-pruned-50');
  assert.equal(prunedOutputPath('/runs/a/checkpoint-200/', 0.25), '/runs/a/checkpoint-200-pruned-25');
  assert.equal(prunedOutputPath('/m/model.safetensors', 0.3), '/m/model-pruned-30.safetensors');
});

/** A controller on a FakeServer, collecting what it posts. */
async function controllerOn<V extends ViewKind>(view: V, args: PanelArgs[V], ui: HostUi = noUi) {
  const server = new FakeServer([await fixtureReport(200, 100), await fixtureReport(300, 200)], (await fixtureReport(200, 100)).path);
  const posted: Array<ToWebview<V>> = [];
  const controller = createController(view, { server, ui, signal: new AbortController().signal, post: (m) => posted.push(m) }, args);
  const of = <T extends ToWebview<V>['type']>(type: T) => posted.filter((m) => m.type === type) as Array<Extract<ToWebview<V>, { type: T }>>;
  return { server, controller, posted, of };
}

test('report controller: analyses once, answers every ready (a reloaded webview) from what it has', async () => {
  const opened: unknown[] = [];
  const c = await controllerOn('report', { tensor: UP }, { ...noUi, openView: (view, args) => opened.push({ view, args }) });
  await c.controller.handle({ type: 'ready' });
  await c.controller.handle({ type: 'ready' });
  assert.equal(c.of('report/data').length, 2);
  assert.equal(c.server.count(LayerReportRequest.method), 1);
  assert.equal(c.server.count(TensorSummary.method), 21);
  assert.equal(c.of('report/data')[0]!.rows.length, 21);
  assert.deepEqual(c.of('busy').at(-1), { type: 'busy', message: null, percentage: null });
  await c.controller.handle({ type: 'report/select', tensor: UP });
  const details = c.of('report/details')[0]!;
  assert.equal(details.tensor, UP);
  assert.ok(details.weight?.counts instanceof Float64Array);
  await c.controller.handle({ type: 'report/open', view: 'zeroPoint', tensor: UP });
  assert.deepEqual(opened, [{ view: 'zeroPoint', args: { checkpoint: (await fixtureReport(200, 100)).path, tensor: UP } }]);
  await c.controller.handle({ type: 'report/select', tensor: 'no.such.tensor' });
  assert.match((c.of('error')[0] as { message: string }).message, /has no tensor named 'no\.such\.tensor'/);
});

test('histograms controller: a kind that cannot be had comes with the reason', async () => {
  const c = await controllerOn('histograms', { tensor: UP });
  await c.controller.handle({ type: 'ready' });
  const context = c.of('histograms/context')[0]!;
  assert.equal(context.checkpoints.length, 2);
  await c.controller.handle({ type: 'histograms/request', requestId: 4, tensor: 'model.norm.weight', compareWith: null, xScale: 'auto' });
  const data = c.of('histograms/data')[0]!;
  assert.equal(data.requestId, 4);
  assert.equal(c.server.count(HistogramRequest.method), 5);
  const byKind = Object.fromEntries(data.series.map((s) => [s.kind, s]));
  assert.ok(byKind.weight!.histogram !== null);
  assert.equal(byKind.exp_avg_sq!.histogram!.scale, 'log10abs');
});

test('pruning controller: plans answer their request id; errors too; a cancelled Apply writes nothing; Export writes a prune --plan file', async () => {
  const written: Array<[string, string]> = [];
  let pick: string | undefined;
  const ui: HostUi = { ...noUi, pickSaveLocation: async () => pick, writeFile: async (p, text) => void written.push([p, text]) };
  const c = await controllerOn('pruning', {}, ui);
  await c.controller.handle({ type: 'ready' });
  assert.equal(c.of('pruning/context')[0]!.checkpoint.label, 'tiny-llama/checkpoint-200');
  const params = { target: 0.5, criterion: 'magnitude' as const, strategy: 'error-optimal' as const, overrides: {} };
  await c.controller.handle({ type: 'pruning/plan', requestId: 7, params });
  assert.deepEqual(c.of('pruning/planResult').map((m) => [m.requestId, m.plan.achievedSparsity]), [[7, 0.5]]);
  await c.controller.handle({ type: 'pruning/plan', requestId: 8, params: { ...params, overrides: { 'layers.9': 0.5 } } });
  const err = c.of('pruning/planError')[0]!;
  assert.equal(err.requestId, 8);
  assert.match(err.message, /layers\.9/);
  await c.controller.handle({ type: 'pruning/apply', params });
  assert.equal(c.server.count(ApplyPruningPlan.method), 0);
  pick = '/tmp/plan.json';
  await c.controller.handle({ type: 'pruning/export', params });
  const [[path, text]] = written as [[string, string]];
  assert.equal(path, '/tmp/plan.json');
  const plan = JSON.parse(text) as { criterion: string; tensors: Record<string, number> };
  assert.equal(plan.criterion, 'magnitude');
  assert.equal(Object.keys(plan.tensors).length, 14);
});

test('without a named or active checkpoint the panel says how to get one', async () => {
  const server = new FakeServer([await fixtureReport(200, 100)], null);
  const posted: unknown[] = [];
  const controller = createController('zeroPoint', { server, ui: noUi, signal: new AbortController().signal, post: (m) => posted.push(m) }, {});
  await controller.handle({ type: 'ready' });
  assert.match((posted[0] as { type: string; message: string }).message, /No checkpoint is active/);
});
