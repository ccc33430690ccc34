// Pruning explorer in Chromium: plans of tiny-llama step 200 from the real planner; the global
// slider sends a (debounced) checkpointLens/pruningPlan and the answer redraws chart and totals;
// per-layer overrides; structured on/off; stale answers ignored; Apply writes a real pruned
// checkpoint; restored state.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../../server/src/analysis/analysisOptions.ts';
import { planFromReport } from '../../../server/src/analysis/planFromReport.ts';
import { planStructured } from '../../../server/src/analysis/structuredPlan.ts';
import { pruneCheckpoint } from '../../../server/src/analysis/prune.ts';
import { openCheckpoint } from '../../../server/src/checkpoint/open.ts';
import { PruningPlanRequest } from '../../../server/src/protocol.ts';
import { planView } from '../../../client/src/webviews/convert.ts';
import { groupsText } from '../../../client/src/webviews/convertPlan.ts';
import { tempDirFactory } from '../../helpers/tempDir.ts';
import type { Env } from '../harness/env.ts';
import { noUi, type ViewPage } from '../harness/viewPage.ts';
import { choose } from './histograms.ts';

const tmp = tempDirFactory('ckpt-lens-webview-');

async function totalsText(vp: ViewPage<'pruning'>, testid: string): Promise<string> {
  return (await vp.page.getByTestId(testid).textContent()) ?? '';
}

async function waitTotals(vp: ViewPage<'pruning'>, testid: string, pattern: RegExp): Promise<void> {
  await vp.page.waitForFunction(([id, src]) => new RegExp(src).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''), [testid, pattern.source] as const);
}

export function pruningTests(env: Env): void {
  test('the global slider at 50 % sends a plan request; the answer redraws the per-layer chart and the totals', async (t) => {
    const server = env.server();
    const vp = await env.open(t, 'pruning', { checkpoint: env.step200.path }, server);
    if (!vp) return;
    try {
      // The first plan (20 %), drawn from the real planner's answer.
      await waitTotals(vp, 'pruning-total-sparsity', /^20\.00 %/);
      const before = await vp.chart('pruning-layer-chart', 2);
      const at20 = planFromReport(env.step200, { target: 0.2, criterion: 'magnitude', strategy: 'error-optimal' });
      assert.deepEqual(before[0]!.y, at20.layers.map((l) => l.ratio));

      const from = (await vp.posted()).length;
      await vp.page.getByTestId('pruning-global-slider').fill('50');
      const { message } = await vp.waitForPosted('pruning/plan', from);
      assert.deepEqual(message.params, { target: 0.5, criterion: 'magnitude', strategy: 'error-optimal', overrides: {} });
      const at50 = planFromReport(env.step200, { target: 0.5, criterion: 'magnitude', strategy: 'error-optimal' });
      await waitTotals(vp, 'pruning-total-sparsity', /^50\.00 %/);
      assert.equal(await totalsText(vp, 'pruning-total-kept'), `${at50.paramsAfter.toLocaleString('en-US')} of 131,072 (65,536 removed)`);
      assert.match(await totalsText(vp, 'pruning-total-relerr'), new RegExp(`^${String(Number(at50.relErr.toPrecision(4))).replace('.', '\\.')}`));
      assert.match(await totalsText(vp, 'pruning-bytes-note'), /does not shrink a dense file/);
      const after = await vp.chart('pruning-layer-chart', 2);
      assert.deepEqual(after[0]!.y, at50.layers.map((l) => l.ratio));
      assert.deepEqual(after[1]!.y, at50.layers.map((l) => l.relErr));
      assert.notDeepEqual(after[1]!.y, before[1]!.y);
      const last = server.requests.filter((r) => r.method === PruningPlanRequest.method).at(-1)!;
      assert.deepEqual([last.params.checkpoint, last.params.target], [env.step200.path, 0.5]);
      await vp.screenshot('pruning');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('a burst of slider moves becomes one request, for the last position', async (t) => {
    const vp = await env.open(t, 'pruning', { checkpoint: env.step200.path }, env.server());
    if (!vp) return;
    try {
      await waitTotals(vp, 'pruning-total-sparsity', /^20\.00 %/);
      const from = (await vp.posted()).length;
      await vp.page.evaluate(() => {
        const slider = document.querySelector('[data-testid="pruning-global-slider"]') as HTMLInputElement;
        for (const v of ['30', '35', '40', '45', '60']) {
          slider.value = v;
          slider.dispatchEvent(new Event('input', { bubbles: true }));
        }
      });
      const { message, index } = await vp.waitForPosted('pruning/plan', from);
      assert.equal(message.params.target, 0.6);
      assert.equal((await vp.posted()).slice(from).filter((m) => m.type === 'pruning/plan').length, 1, `first plan request at ${index}`);
      await waitTotals(vp, 'pruning-total-sparsity', /^60\.00 %/);
    } finally {
      await vp.close();
    }
  });

  test('a layer slider fixes that layer; the plan spreads the rest; "Release all layers" undoes it', async (t) => {
    const vp = await env.open(t, 'pruning', { checkpoint: env.step200.path }, env.server());
    if (!vp) return;
    try {
      await vp.page.getByTestId('pruning-global-slider').fill('50');
      await waitTotals(vp, 'pruning-total-sparsity', /^50\.00 %/);
      const from = (await vp.posted()).length;
      await vp.page.locator('[data-testid="pruning-layer-slider"][data-layer="layers.0"]').fill('80');
      const { message } = await vp.waitForPosted('pruning/plan', from);
      assert.deepEqual(message.params.overrides, { 'layers.0': 0.8 });
      const expected = planFromReport(env.step200, { target: 0.5, criterion: 'magnitude', strategy: 'error-optimal', overrides: { 'layers.0': 0.8 } });
      await vp.page.waitForFunction(() => document.querySelector('tr[data-layer="layers.0"] .fixed') !== null);
      const chart = await vp.chart('pruning-layer-chart', 2);
      assert.deepEqual(chart[0]!.y, expected.layers.map((l) => l.ratio));
      assert.ok(Math.abs(chart[0]!.y[0]! - 0.8) < 1e-3, `layers.0 ratio ${chart[0]!.y[0]}`);
      assert.equal(await vp.page.locator('[data-testid="pruning-layer-slider"][data-layer="layers.1"]').inputValue(), String(Math.round(expected.layers[1]!.ratio * 100)));
      await vp.screenshot('pruning-override');
      const again = (await vp.posted()).length;
      await vp.page.getByTestId('pruning-reset').click();
      assert.deepEqual((await vp.waitForPosted('pruning/plan', again)).message.params.overrides, {});
      await vp.page.waitForFunction(() => document.querySelector('tr[data-layer="layers.0"] .fixed') === null);
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('criterion and strategy selectors ask for new plans; a plan error shows in the banner', async (t) => {
    const vp = await env.open(t, 'pruning', { checkpoint: env.step200.path }, env.server());
    if (!vp) return;
    try {
      await waitTotals(vp, 'pruning-total-sparsity', /^20\.00 %/);
      let from = (await vp.posted()).length;
      await choose(vp, 'pruning-strategy', 'uniform');
      assert.equal((await vp.waitForPosted('pruning/plan', from)).message.params.strategy, 'uniform');
      from = (await vp.posted()).length;
      await choose(vp, 'pruning-criterion', 'Taylor |w·m|');
      assert.equal((await vp.waitForPosted('pruning/plan', from)).message.params.criterion, 'taylor');
      // An error from the server (here: an override for a layer the model lacks) goes to the banner.
      await vp.send({ type: 'pruning/planError', requestId: (await vp.waitForPosted('pruning/plan', from)).message.requestId, message: "unknown layer 'layers.9' in overrides" });
      await vp.page.waitForFunction(() => !(document.querySelector('[data-testid="error"]') as HTMLElement).hidden);
      assert.equal(await vp.page.getByTestId('error').textContent(), "unknown layer 'layers.9' in overrides");
    } finally {
      await vp.close();
    }
  });

  test('an answer to an older request is not drawn', async (t) => {
    const vp = await env.openBare(t, 'pruning');
    if (!vp) return;
    try {
      await vp.send({ type: 'pruning/context', args: { checkpoint: env.step200.path }, checkpoint: { path: env.step200.path, label: 'step 200' } });
      const first = await vp.waitForPosted('pruning/plan');
      await vp.page.getByTestId('pruning-global-slider').fill('70');
      const second = await vp.waitForPosted('pruning/plan', first.index + 1);
      const plan = (target: number) => planView(planFromReport(env.step200, { target, criterion: 'magnitude', strategy: 'error-optimal' }));
      await vp.send({ type: 'pruning/planResult', requestId: second.message.requestId, plan: plan(0.7) });
      await waitTotals(vp, 'pruning-total-sparsity', /^70\.00 %/);
      await vp.send({ type: 'pruning/planResult', requestId: first.message.requestId, plan: plan(0.2) });
      // The stale answer arrived after the newer one: the totals stay.
      await vp.send({ type: 'busy', message: null, percentage: null });
      assert.match(await totalsText(vp, 'pruning-total-sparsity'), /^70\.00 %/);
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('Apply… asks where, writes the pruned checkpoint and reports it', async (t) => {
    const server = env.server();
    const out = join(tmp(), 'checkpoint-200-pruned-50');
    const picked: string[] = [];
    server.onApply = async (p, plan) => {
      const result = await pruneCheckpoint(await openCheckpoint(env.step200.path), { criterion: plan.criterion, tensors: plan.tensors }, p.output);
      return { ...result, plan };
    };
    const ui = { ...noUi, pickSaveLocation: async (o: { defaultPath: string }) => (picked.push(o.defaultPath), out) };
    const vp = await env.open(t, 'pruning', { checkpoint: env.step200.path }, server, { ui });
    if (!vp) return;
    try {
      await vp.page.getByTestId('pruning-global-slider').fill('50');
      await waitTotals(vp, 'pruning-total-sparsity', /^50\.00 %/);
      await vp.page.getByTestId('pruning-apply').click();
      await vp.page.waitForFunction(() => /^Wrote /.test(document.querySelector('[data-testid="pruning-applied"]')?.textContent ?? ''));
      assert.deepEqual(picked, [`${env.step200.path}-pruned-50`]);
      assert.equal(await vp.page.getByTestId('pruning-applied').textContent(), `Wrote ${out}: 14 tensors pruned, 65,536 weights set to zero.`);
      assert.ok(existsSync(join(out, 'model.safetensors')));
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('a restored explorer asks for its saved parameters first', async (t) => {
    const args = { checkpoint: env.step200.path };
    const state = { view: 'pruning', args, ui: { target: 0.35, criterion: 'magnitude', strategy: 'uniform', overrides: { 'layers.1': 0.1 } } };
    const vp = await env.open(t, 'pruning', args, env.server(), { state });
    if (!vp) return;
    try {
      const { message } = await vp.waitForPosted('pruning/plan');
      assert.deepEqual(message.params, state.ui);
      assert.equal(await vp.page.getByTestId('pruning-global-slider').inputValue(), '35');
      await waitTotals(vp, 'pruning-total-sparsity', /^35\.00 %/);
    } finally {
      await vp.close();
    }
  });

  test('structured on sends structured plans and redraws per block with the groups removed; off brings the overrides back', async (t) => {
    const server = env.server();
    const vp = await env.open(t, 'pruning', { checkpoint: env.step200.path }, server);
    if (!vp) return;
    try {
      await waitTotals(vp, 'pruning-total-sparsity', /^20\.00 %/);
      await vp.page.locator('[data-testid="pruning-layer-slider"][data-layer="layers.0"]').fill('40');
      await vp.page.waitForFunction(() => document.querySelector('tr[data-layer="layers.0"] .fixed') !== null);
      let from = (await vp.posted()).length;
      await vp.page.getByTestId('pruning-structured').click();
      const on = await vp.waitForPosted('pruning/plan', from);
      assert.deepEqual(on.message.params, { target: 0.2, criterion: 'magnitude', strategy: 'error-optimal', overrides: { 'layers.0': 0.4 }, structured: true });
      // The host sends a structured request: no strategy, no overrides.
      const sent = server.requests.filter((r) => r.method === PruningPlanRequest.method).at(-1)!;
      assert.deepEqual(sent.params, { checkpoint: env.step200.path, target: 0.2, criterion: 'magnitude', structured: true });
      const ckpt = await openCheckpoint(env.step200.path);
      const at20 = await planStructured(ckpt, { target: 0.2, criterion: 'magnitude', alpha: DEFAULT_ANALYSIS_OPTIONS.alpha });
      await waitTotals(vp, 'pruning-total-bytes', /^unchanged/);
      const chart = await vp.chart('pruning-layer-chart', 2);
      assert.deepEqual(chart[0]!.y, at20.layers.map((l) => l.ratio));
      const groups = await vp.page.locator('[data-testid="pruning-layer-groups"]').allTextContents();
      assert.deepEqual(groups, at20.layers.map((l) => groupsText(l.groups)));
      assert.match(groups[0]!, /^KV groups \d+\/\d+ · MLP channels \d+\/256$|^heads \d+\/\d+ · MLP channels \d+\/256$/);
      assert.equal(await vp.page.locator('[data-testid="pruning-layer-slider"][data-layer="layers.0"]').isDisabled(), true);
      assert.equal(await vp.page.getByTestId('pruning-strategy').getAttribute('disabled'), '');
      assert.equal(await totalsText(vp, 'pruning-total-kept'), `${at20.paramsAfter.toLocaleString('en-US')} of ${at20.paramsBefore.toLocaleString('en-US')} (${at20.removed.toLocaleString('en-US')} removed)`);

      from = (await vp.posted()).length;
      await vp.page.getByTestId('pruning-global-slider').fill('50');
      assert.equal((await vp.waitForPosted('pruning/plan', from)).message.params.structured, true);
      const at50 = await planStructured(ckpt, { target: 0.5, criterion: 'magnitude', alpha: DEFAULT_ANALYSIS_OPTIONS.alpha });
      await waitTotals(vp, 'pruning-total-sparsity', new RegExp(`^${(at50.achievedSparsity * 100).toFixed(2).replace('.', '\\.')} % \\(target 50\\.0 %`));
      assert.deepEqual((await vp.chart('pruning-layer-chart', 2))[0]!.y, at50.layers.map((l) => l.ratio));
      await vp.screenshot('pruning-structured');

      // Off again: an unstructured plan with the override the user had set.
      from = (await vp.posted()).length;
      await vp.page.getByTestId('pruning-structured').click();
      const off = await vp.waitForPosted('pruning/plan', from);
      assert.deepEqual(off.message.params, { target: 0.5, criterion: 'magnitude', strategy: 'error-optimal', overrides: { 'layers.0': 0.4 }, structured: false });
      await waitTotals(vp, 'pruning-total-bytes', /dense/);
      await vp.page.waitForFunction(() => document.querySelector('tr[data-layer="layers.0"] .fixed') !== null);
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });
}
