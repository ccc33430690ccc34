// Checkpoint report in Chromium: the real analysis of tiny-llama step 200 as table and charts,
// sorting, filtering, details, an HTML-looking tensor name shown as text, restored UI state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber } from '../../../webview/src/shared/format.ts';
import type { AnalysisReport, QuantJson } from '../../../server/src/analysis/reportTypes.ts';
import { fixturePath } from '../harness/fixtureReports.ts';
import type { Env } from '../harness/env.ts';
import type { ViewPage } from '../harness/viewPage.ts';

const UP = 'model.layers.1.mlp.up_proj.weight';
const EVIL = 'model.layers.0.<img src=x onerror="window.__pwned=1">.weight';

async function rowNames(vp: ViewPage<'report'>): Promise<string[]> {
  return vp.page.locator('[data-testid="report-row"] td:first-child').allTextContents();
}

async function waitRows(vp: ViewPage<'report'>, n: number): Promise<void> {
  await vp.page.waitForFunction((k) => document.querySelectorAll('[data-testid="report-row"]').length === k, n);
}

/** The report with one tensor renamed (in its table and in its layer), as if a checkpoint named it so. */
function withEvilName(r: AnalysisReport): AnalysisReport {
  const victim = 'model.layers.0.mlp.up_proj.weight';
  const tensors = Object.fromEntries(Object.entries(r.tensors).map(([n, t]) => (n === victim ? [EVIL, { ...t, name: EVIL }] : [n, t])));
  const layers = r.layers.map((l) => ({ ...l, tensors: l.tensors.map((n) => (n === victim ? EVIL : n)) }));
  return { ...r, tensors, layers };
}

export function reportTests(env: Env): void {
  test('renders the analysis of tiny-llama step 200 as a table and per-layer charts, under the CSP', async (t) => {
    const server = env.server();
    const vp = await env.open(t, 'report', { checkpoint: env.step200.path, reference: fixturePath(100) }, server);
    if (!vp) return;
    try {
      await waitRows(vp, 21);
      const row = vp.page.locator(`[data-testid="report-row"][data-tensor="${UP}"] td`);
      const cells = await row.allTextContents();
      assert.equal(cells[0], UP);
      assert.equal(cells[1], 'layers.1');
      assert.equal(cells[2], '[256, 64]');
      assert.equal(cells[4], '16,384');
      // The quant column defaults to 4-bit linear weights at block 128: the analysis' own number.
      assert.equal(cells[9], formatNumber((env.step200.tensors[UP]!.weight_b128_lin4 as QuantJson).rel_err));
      assert.equal(cells[11], '50.0 %');
      const quant = await vp.chart('report-quant-chart', 4);
      assert.deepEqual(quant.map((q) => q.name), ['linear 8-bit', 'DE 8-bit', 'linear 4-bit', 'DE 4-bit']);
      assert.ok(Math.abs(quant[2]!.y[1]! - env.step200.layers[1]!.quant.weight_b128_lin4!) < 1e-12, 'layers.0 int4 linear B128');
      const ratio = await vp.chart('report-ratio-chart', 1);
      assert.deepEqual(ratio[0]!.y, env.step200.layers.map((l) => l.suggested_ratio ?? Number.NaN));
      await vp.chart('report-outlier-chart', 2);
      assert.match((await vp.page.getByTestId('report-summary').textContent()) ?? '', /llama .*21 tensors · 164,160 parameters/);
      await vp.screenshot('report');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('sorts by a column (both directions) and filters by words', async (t) => {
    const vp = await env.open(t, 'report', { checkpoint: env.step200.path }, env.server());
    if (!vp) return;
    try {
      await waitRows(vp, 21);
      await vp.page.locator('th button[data-sort="numel"]').click();
      const desc = await vp.page.locator('[data-testid="report-row"] td:nth-child(5)').allTextContents();
      assert.equal(desc[0], '16,384');
      assert.equal(desc.at(-1), '64');
      assert.equal(await vp.page.locator('th[aria-sort]').getAttribute('aria-sort'), 'descending');
      await vp.page.locator('th button[data-sort="numel"]').click();
      const asc = await vp.page.locator('[data-testid="report-row"] td:nth-child(5)').allTextContents();
      assert.deepEqual(asc, [...desc].reverse().sort((a, b) => Number(a.replace(/,/g, '')) - Number(b.replace(/,/g, ''))));
      assert.equal(asc[0], '64');

      await vp.page.locator('[data-testid="report-filter"] input').fill('mlp');
      await waitRows(vp, 6);
      assert.ok((await rowNames(vp)).every((n) => n.includes('.mlp.')));
      await vp.page.locator('[data-testid="report-filter"] input').fill('layers.1 proj');
      await waitRows(vp, 7);
      assert.equal(await vp.page.getByTestId('report-row-count').textContent(), '7 of 21 tensors');
      const saved = (await vp.state()) as { view: string; ui: { filter: string; sortKey: string; sortDir: string } };
      assert.equal(saved.view, 'report');
      assert.deepEqual([saved.ui.filter, saved.ui.sortKey, saved.ui.sortDir], ['layers.1 proj', 'numel', 'asc']);
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('selecting a tensor asks the host and shows its statistics and histograms', async (t) => {
    const server = env.server();
    const vp = await env.open(t, 'report', { checkpoint: env.step200.path }, server);
    if (!vp) return;
    try {
      await waitRows(vp, 21);
      const from = (await vp.posted()).length;
      await vp.page.locator(`[data-testid="report-row"][data-tensor="${UP}"]`).click();
      const { message } = await vp.waitForPosted('report/select', from);
      assert.equal(message.tensor, UP);
      await vp.chart('report-details-weight-chart', 1);
      const update = await vp.chart('report-details-update-chart', 1);
      assert.equal(update[0]!.points, env.step200.tensors[UP]!.histograms.update!.counts.length + 1);
      assert.equal(await vp.page.getByTestId('report-details-name').textContent(), UP);
      const stats = await vp.page.locator('[data-testid="report-details-stats"] tbody tr td:first-child').allTextContents();
      assert.deepEqual(stats, ['weight', 'exp_avg', 'exp_avg_sq', 'residual']);
      const openZero = vp.page.getByTestId('report-open-zero-point');
      assert.equal(await openZero.getAttribute('disabled'), null);
      await vp.screenshot('report-details');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('a tensor named like HTML is shown as text and nothing runs', async (t) => {
    const vp = await env.open(t, 'report', { checkpoint: env.step200.path }, env.server([withEvilName(env.step200)]));
    if (!vp) return;
    try {
      await waitRows(vp, 21);
      assert.ok((await rowNames(vp)).includes(EVIL));
      await vp.page.locator('[data-testid="report-row"]').filter({ hasText: '<img' }).click();
      await vp.page.waitForFunction((n) => document.querySelector('[data-testid="report-details-name"]')?.textContent === n, EVIL);
      assert.equal(await vp.page.locator('img').count(), 0);
      assert.equal(await vp.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('a restored panel comes back with its filter and sort', async (t) => {
    const args = { checkpoint: env.step200.path };
    const state = { view: 'report', args, ui: { sortKey: 'numel', sortDir: 'desc', filter: 'mlp', quantKey: 'exp_avg_sq_b128_de4', selected: UP, quantGroup: 'exp_avg_sq', logQuant: true } };
    const vp = await env.open(t, 'report', args, env.server(), { state });
    if (!vp) return;
    try {
      await waitRows(vp, 6);
      assert.equal(await vp.page.locator('[data-testid="report-filter"] input').inputValue(), 'mlp');
      assert.equal(await vp.page.locator('th[aria-sort="descending"] button').getAttribute('data-sort'), 'numel');
      assert.equal(await vp.page.locator(`[data-testid="report-row"][aria-selected="true"]`).getAttribute('data-tensor'), UP);
      // The restored codebook group: the seven second-moment schemes.
      await vp.chart('report-quant-chart', 7);
      // The selected tensor's details come back too.
      await vp.chart('report-details-weight-chart', 1);
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });
}
