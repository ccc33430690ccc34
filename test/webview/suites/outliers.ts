// Outliers in Chromium: the row and column max-abs profiles of a tiny-llama step-200 matrix (profiles
// computed by the analysis, checked here against the tensor's own values), outliers marked at the
// setting's k (none) and at a k typed into the view (several), the heat-strips, and the report's link.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openCheckpoint } from '../../../server/src/checkpoint/open.ts';
import { readTensorFloat32 } from '../../../server/src/formats/tensorData.ts';
import { OutlierProfile } from '../../../server/src/protocol.ts';
import type { Env } from '../harness/env.ts';
import { noUi, type ViewPage } from '../harness/viewPage.ts';
import { choose } from './histograms.ts';

const O_PROJ = 'model.layers.0.self_attn.o_proj.weight';
const UP = 'model.layers.1.mlp.up_proj.weight';

/** Row and column max |w| of a [rows, cols] matrix, straight from its values. */
async function profilesOf(checkpoint: string, name: string): Promise<{ rows: Float32Array; cols: Float32Array }> {
  const t = (await openCheckpoint(checkpoint)).tensors.find((x) => x.name === name)!;
  const w = await readTensorFloat32(t);
  const [r, c] = [t.shape[0]!, w.length / t.shape[0]!];
  const rows = new Float32Array(r);
  const cols = new Float32Array(c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const a = Math.abs(w[i * c + j]!);
      rows[i] = Math.max(rows[i]!, a);
      cols[j] = Math.max(cols[j]!, a);
    }
  }
  return { rows, cols };
}

/** Indices above k times the lower median of the nonzero entries (ALGORITHMS.md §2). */
function outliersOf(profile: Float32Array, k: number): number[] {
  const live = profile.filter((v) => v > 0).sort();
  const median = live[(live.length - 1) >> 1]!;
  return Array.from(profile.keys()).filter((i) => profile[i]! > k * median);
}

async function listed(vp: ViewPage<'outliers'>, side: 'rows' | 'columns'): Promise<number[]> {
  return (await vp.page.locator(`[data-testid="outliers-${side}-list"] tbody tr`).evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.index))).map(Number);
}

export function outlierTests(env: Env): void {
  test('shows the real row and column profiles; at the setting’s k nothing is marked, at a k typed in the outliers are', async (t) => {
    const server = env.server();
    const vp = await env.open(t, 'outliers', { checkpoint: env.step200.path, tensor: O_PROJ }, server);
    if (!vp) return;
    try {
      const truth = await profilesOf(env.step200.path, O_PROJ);
      const first = await vp.waitForPosted('outliers/request');
      assert.deepEqual(first.message, { type: 'outliers/request', requestId: 1, tensor: O_PROJ, k: null });
      const rows = await vp.plotData('outliers-rows-chart', 3);
      assert.deepEqual(rows[0]!.y, Array.from(truth.rows));
      assert.deepEqual(rows[2]!.x, [], 'no outlier rows at k = 8');
      const cols = await vp.plotData('outliers-columns-chart', 3);
      assert.deepEqual(cols[0]!.y, Array.from(truth.cols));
      assert.equal(await vp.page.locator('[data-testid="outliers-k"] input').inputValue(), '8');
      assert.match((await vp.page.getByTestId('outliers-summary').textContent()) ?? '', /\[64, 64\] · pattern: none · 0 outlier rows, 0 outlier columns/);

      // k = 1.2: rows and columns well above their median are marked, listed and saturate the strip.
      const from = (await vp.posted()).length;
      await vp.page.locator('[data-testid="outliers-k"] input').fill('1.2');
      const { message } = await vp.waitForPosted('outliers/request', from);
      assert.equal(message.k, 1.2);
      const wantRows = outliersOf(truth.rows, 1.2);
      const wantCols = outliersOf(truth.cols, 1.2);
      assert.ok(wantRows.length > 0 && wantCols.length > 0, `${wantRows.length} rows, ${wantCols.length} columns`);
      await vp.page.waitForFunction((n) => document.querySelectorAll('[data-testid="outliers-rows-list"] tbody tr').length === n, wantRows.length);
      const marked = await vp.plotData('outliers-rows-chart', 3);
      assert.deepEqual(marked[2]!.x, wantRows);
      assert.deepEqual(marked[2]!.y, wantRows.map((i) => truth.rows[i]!));
      assert.deepEqual(await listed(vp, 'rows'), wantRows);
      assert.deepEqual(await listed(vp, 'columns'), wantCols);
      const strip = await vp.plotData('outliers-columns-strip', 1);
      const median = truth.cols.filter((v) => v > 0).sort()[(truth.cols.length - 1) >> 1]!;
      strip[0]!.z![0]!.forEach((z, j) => assert.ok(Math.abs(z - truth.cols[j]! / median) < 1e-12, `column ${j}`));
      assert.match((await vp.page.getByTestId('outliers-summary').textContent()) ?? '', new RegExp(`pattern: both · ${wantRows.length} outlier rows, ${wantCols.length} outlier columns`));
      assert.deepEqual(server.requests.filter((r) => r.method === OutlierProfile.method).map((r) => r.params.k), [undefined, 1.2]);
      assert.deepEqual(((await vp.state()) as { ui: unknown }).ui, { tensor: O_PROJ, k: 1.2 });
      await vp.screenshot('outliers');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('another tensor from the picker; a vector says it has no rows and columns', async (t) => {
    const vp = await env.open(t, 'outliers', { checkpoint: env.step200.path, tensor: O_PROJ }, env.server());
    if (!vp) return;
    try {
      await vp.plotData('outliers-rows-chart', 3);
      await vp.page.waitForFunction(() => document.querySelectorAll('[data-testid="tensor-picker"] vscode-option').length === 21);
      await choose(vp, 'tensor-picker', 'model.norm.weight');
      await vp.page.waitForFunction(() => !(document.querySelector('[data-testid="error"]') as HTMLElement).hidden);
      assert.match((await vp.page.getByTestId('error').textContent()) ?? '', /outlier rows and columns need a matrix/);
      await choose(vp, 'tensor-picker', UP);
      await vp.page.waitForFunction((n) => (document.querySelector('[data-testid="outliers-rows-chart"]') as unknown as { data?: Array<{ y: ArrayLike<number> }> }).data?.[0]?.y.length === n, 256);
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('the report’s details pane opens the outliers of its tensor (a matrix only)', async (t) => {
    let onOpen: (v: unknown) => void = () => {};
    const opened = new Promise((resolve, reject) => {
      onOpen = resolve;
      setTimeout(() => reject(new Error('the host opened no view')), 15_000).unref();
    });
    const ui = { ...noUi, openView: (view: string, args: unknown) => onOpen({ view, args }) };
    const vp = await env.open(t, 'report', { checkpoint: env.step200.path }, env.server(), { ui });
    if (!vp) return;
    try {
      await vp.page.waitForFunction(() => document.querySelectorAll('[data-testid="report-row"]').length === 21);
      await vp.page.locator('[data-testid="report-row"][data-tensor="model.norm.weight"]').click();
      await vp.page.waitForFunction(() => document.querySelector('[data-testid="report-details-name"]')?.textContent === 'model.norm.weight');
      assert.equal(await vp.page.getByTestId('report-open-outliers').getAttribute('disabled'), '');
      await vp.page.locator(`[data-testid="report-row"][data-tensor="${O_PROJ}"]`).click();
      await vp.page.waitForFunction((n) => document.querySelector('[data-testid="report-details-name"]')?.textContent === n, O_PROJ);
      await vp.page.getByTestId('report-open-outliers').click();
      assert.deepEqual(await opened, { view: 'outliers', args: { checkpoint: env.step200.path, tensor: O_PROJ } });
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });
}
