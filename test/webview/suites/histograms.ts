// Moment histograms in Chromium: weights, residual, exp_avg, exp_avg_sq and h(v) of one tensor of
// tiny-llama step 200 overlaid with step 300; log counts; the x axis as log10 |x|; the tensor picker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HistogramRequest } from '../../../server/src/protocol.ts';
import { HISTOGRAM_KINDS } from '../../../webview/src/protocol.ts';
import type { Env } from '../harness/env.ts';
import type { ViewPage } from '../harness/viewPage.ts';

const UP = 'model.layers.1.mlp.up_proj.weight';
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Picks an option of a vscode-single-select the way a user does: open it, click the option. */
export async function choose(vp: Pick<ViewPage<never>, 'page'>, testid: string, label: string): Promise<void> {
  const select = vp.page.getByTestId(testid);
  await select.click();
  await select.getByRole('option', { name: label, exact: true }).click();
}

export function histogramTests(env: Env): void {
  test('overlays the five histograms of a tensor in two checkpoints, from the real analysis', async (t) => {
    const server = env.server();
    const vp = await env.open(t, 'histograms', { checkpoint: env.step200.path, tensor: UP, compareWith: env.step300.path }, server);
    if (!vp) return;
    try {
      for (const kind of HISTOGRAM_KINDS) {
        const traces = await vp.chart(`histogram-chart-${kind}`, 2);
        assert.deepEqual(traces.map((tr) => tr.name), ['tiny-llama/checkpoint-200', 'tiny-llama/checkpoint-300'], kind);
        // Each step line closes its last bin with a repeated point: the counts are the analysis' own.
        const expected = env.step200.tensors[UP]!.histograms[kind === 'weight' ? 'weight' : kind]!;
        assert.equal(sum(traces[0]!.y.slice(0, -1)), sum(expected.counts), kind);
      }
      assert.equal(server.count(HistogramRequest.method), 10);
      assert.match((await vp.page.getByTestId('histogram-note-update').textContent()) ?? '', /16,384 values/);
      await vp.screenshot('histograms');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('log counts, log10 |x| on the x axis and another tensor from the picker', async (t) => {
    const vp = await env.open(t, 'histograms', { checkpoint: env.step200.path, tensor: UP }, env.server());
    if (!vp) return;
    try {
      await vp.chart('histogram-chart-weight', 1);
      const axisType = (id: string, axis: 'xaxis' | 'yaxis') =>
        vp.page.evaluate(([s, a]) => (document.querySelector(`[data-testid="${s}"]`) as unknown as { layout: Record<string, { type: string }> }).layout[a]!.type, [id, axis] as const);
      assert.equal(await axisType('histogram-chart-weight', 'yaxis'), 'linear');
      await vp.page.getByTestId('histograms-log-counts').click();
      await vp.page.waitForFunction(() => (document.querySelector('[data-testid="histogram-chart-weight"]') as unknown as { layout: { yaxis: { type: string } } }).layout.yaxis.type === 'log');

      let from = (await vp.posted()).length;
      await choose(vp, 'histograms-x-scale', 'log10 |x|');
      const { message } = await vp.waitForPosted('histograms/request', from);
      assert.equal(message.xScale, 'log');
      await vp.page.waitForFunction(() => (document.querySelector('[data-testid="histogram-chart-weight"]') as unknown as { layout: { xaxis: { type: string } } }).layout.xaxis.type === 'log');
      // The server has no log histogram of exp_avg here: its chart gives way to the reason.
      await vp.page.waitForFunction(() => (document.querySelector('[data-testid="histogram-chart-exp_avg"]') as HTMLElement).hidden);
      assert.match((await vp.page.getByTestId('histogram-note-exp_avg').textContent()) ?? '', /no log exp_avg histogram/);

      // The picker fills with the checkpoint's tensors; choosing one asks for its histograms.
      await vp.page.waitForFunction(() => document.querySelectorAll('[data-testid="tensor-picker"] vscode-option').length === 21);
      from = (await vp.posted()).length;
      await choose(vp, 'tensor-picker', 'model.layers.0.mlp.down_proj.weight');
      const next = await vp.waitForPosted('histograms/request', from);
      assert.equal(next.message.tensor, 'model.layers.0.mlp.down_proj.weight');
      assert.equal((await vp.state() as { ui: { tensor: string } }).ui.tensor, 'model.layers.0.mlp.down_proj.weight');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });
}
