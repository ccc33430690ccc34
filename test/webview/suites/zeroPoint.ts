// Zero-point effect in Chromium: h(v) of model.layers.1.mlp.up_proj.weight (tiny-llama step 200)
// for the original second moment and its 4-bit quantizations with and without zero.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZeroPoint } from '../../../server/src/protocol.ts';
import { formatNumber, formatPercent } from '../../../webview/src/shared/format.ts';
import type { Env } from '../harness/env.ts';
import { choose } from './histograms.ts';

const UP = 'model.layers.1.mlp.up_proj.weight';

export function zeroPointTests(env: Env): void {
  test('shows the three h(v) distributions on log axes with zero_frac and update_rel_err', async (t) => {
    const vp = await env.open(t, 'zeroPoint', { checkpoint: env.step200.path, tensor: UP }, env.server());
    if (!vp) return;
    try {
      const traces = await vp.chart('zero-point-chart', 3);
      assert.deepEqual(traces.map((tr) => tr.name), ['original', '4-bit with zero', '4-bit without zero']);
      const layout = await vp.page.evaluate(() => (document.querySelector('[data-testid="zero-point-chart"]') as unknown as { layout: { xaxis: { type: string }; yaxis: { type: string } } }).layout);
      assert.deepEqual([layout.xaxis.type, layout.yaxis.type], ['log', 'log']);
      const z = env.step200.tensors[UP]!.zero_point!;
      const rows = await vp.page.locator('[data-testid="zero-point-stats"] tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
      assert.deepEqual(rows, [
        ['original', z.original.scheme, formatPercent(z.original.zero_frac, 3), formatNumber(z.original.update_rel_err)],
        ['4-bit with zero', z.with_zero.scheme, formatPercent(z.with_zero.zero_frac, 3), formatNumber(z.with_zero.update_rel_err)],
        ['4-bit without zero', z.without_zero.scheme, formatPercent(z.without_zero.zero_frac, 3), formatNumber(z.without_zero.update_rel_err)],
      ]);
      // The effect itself, as the PyTorch reference shows it: ~9 with a zero in the codebook, ~0.12 without.
      assert.ok(Number(rows[1]![3]) > 5 && Number(rows[2]![3]) < 0.2, JSON.stringify(rows));
      await vp.screenshot('zero-point');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('another tensor from the picker; a tensor without the effect says why', async (t) => {
    const server = env.server();
    const vp = await env.open(t, 'zeroPoint', { checkpoint: env.step200.path, tensor: UP }, server);
    if (!vp) return;
    try {
      await vp.chart('zero-point-chart', 3);
      await vp.page.waitForFunction(() => document.querySelectorAll('[data-testid="tensor-picker"] vscode-option').length === 21);
      await choose(vp, 'tensor-picker', 'model.norm.weight');
      await vp.page.waitForFunction(() => !(document.querySelector('[data-testid="error"]') as HTMLElement).hidden);
      assert.match((await vp.page.getByTestId('error').textContent()) ?? '', /model\.norm\.weight/);
      await choose(vp, 'tensor-picker', 'lm_head.weight');
      await vp.page.waitForFunction(() => (document.querySelector('[data-testid="error"]') as HTMLElement).hidden);
      await vp.page.waitForFunction(() => document.querySelector('[data-testid="zero-point-chart"] .gtitle')?.textContent === 'h(v) of lm_head.weight');
      assert.deepEqual(server.requests.filter((r) => r.method === ZeroPoint.method).map((r) => r.params.tensor), [UP, 'model.norm.weight', 'lm_head.weight']);
      // The error went to the banner, not to the console.
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('follows a theme change: chart colours come from the theme variables', async (t) => {
    const vp = await env.open(t, 'zeroPoint', { checkpoint: env.step200.path, tensor: UP }, env.server(), { theme: 'light' });
    if (!vp) return;
    try {
      await vp.chart('zero-point-chart', 3);
      const colors = () => vp.page.evaluate(() => (document.querySelector('[data-testid="zero-point-chart"]') as unknown as { _fullLayout: { font: { color: string } } })._fullLayout.font.color);
      assert.equal(await colors(), '#3b3b3b');
      await vp.screenshot('zero-point-light');
      await vp.setTheme('high-contrast');
      await vp.page.waitForFunction(() => (document.querySelector('[data-testid="zero-point-chart"]') as unknown as { _fullLayout: { font: { color: string } } })._fullLayout.font.color === '#ffffff');
      await vp.screenshot('zero-point-high-contrast');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });
}
