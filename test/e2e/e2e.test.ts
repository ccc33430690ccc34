// End to end in a real VS Code: the packaged .vsix installed into code-server and driven through
// headless Chromium as a person would (issue 8). Needs the tools of scripts/e2e/install-tools.mjs
// and Debian's chromium; without them every scenario skips with the reason (fails under
// CKPT_LENS_REQUIRE_ALL=1). Screenshots go to test-artifacts/e2e/. The expected numbers are
// PyTorch's (test/fixtures/reference/*.json), not ours.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { formatBytes } from '../../server/src/cli/format.ts';
import { formatNumber as hoverNumber } from '../../server/src/lsp/markdown.ts';
import { formatNumber as viewNumber, formatPercent as viewPercent } from '../../webview/src/shared/format.ts';
import { loadReference } from '../helpers/referenceStats.ts';
import { E2eSession, e2eOrSkip, e2eUnavailable } from './harness.ts';
import { STATUS_ITEM } from './workbench.ts';
import { HOVER_TENSOR, ZERO_POINT_TENSOR } from './workspace.ts';

const PALETTE = 'Checkpoint Lens: ';
/** What a compression ratio divides: every file of the checkpoint directory, as it lies on disk. */
function directoryBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}
const TENSORS = 21;

describe('VS Code end to end (code-server + Chromium)', { concurrency: 1 }, () => {
  let s: E2eSession | undefined;

  before(async () => {
    if (e2eUnavailable() !== null) return;
    s = new E2eSession();
    await s.setUp();
  }, { timeout: 240_000 });
  after(() => s?.tearDown());

  /** The session for a scenario, or undefined when the test was skipped; failures carry the page and server logs. */
  async function scenario(t: TestContext, name: string, body: (s: E2eSession) => Promise<void>): Promise<void> {
    if (!e2eOrSkip(t)) return;
    assert.ok(s, 'the end-to-end session did not start (see the before hook)');
    const session = s;
    await session.workbench.reset();
    try {
      await body(session);
    } catch (e) {
      // node:test prints the error's stack, captured before any message change: the context goes to diagnostics.
      const shot = await session.workbench.screenshot(`${name}-FAILED`).catch((err: unknown) => `none (${(err as Error).message})`);
      t.diagnostic(`failure screenshot: ${shot}`);
      const notes = await session.workbench.notificationsSeen().catch((err: unknown) => (err as Error).message);
      t.diagnostic(`notifications: ${JSON.stringify(notes)}`);
      for (const line of session.diagnostics().split('\n')) t.diagnostic(line);
      throw e;
    }
    t.diagnostic(`screenshot: ${join(process.cwd(), 'test-artifacts/e2e', `${name}.png`)}`);
  }

  test('1. the status bar shows the active checkpoint and the compute backend', { timeout: 120_000 }, (t) =>
    scenario(t, '1-status-bar', async ({ workbench: wb, workspace }) => {
      await wb.quickOpen(basename(workspace.script), { label: basename(workspace.script) });
      await wb.editorLine(HOVER_TENSOR).waitFor();
      // checkpoint-300 is the newest (the run wrote it last); the backend is named once the server opened it.
      const status = wb.page.locator(STATUS_ITEM, { hasText: /checkpoint-300 ·\s*(CPU|WebGPU: .+)/ });
      await status.waitFor();
      t.diagnostic(`status bar: ${(await status.textContent())?.replace(/\s+/g, ' ').trim()}`);
      await wb.screenshot('1-status-bar');
    }));

  test('2. Compress Checkpoint… writes an archive that ckpt-lens verify accepts', { timeout: 180_000 }, (t) =>
    scenario(t, '2-compress', async ({ workbench: wb, workspace }) => {
      const notifications = await wb.recordNotifications();
      await wb.runCommand(`${PALETTE}Compress Checkpoint…`);
      await wb.pick(/what to compress/, { label: 'checkpoint-200' });
      // The previous step is proposed as the reference.
      assert.equal(await wb.highlighted(/reference for checkpoint-200/), 'checkpoint-100');
      await wb.pick(/reference for checkpoint-200/, { label: 'checkpoint-100' });
      await wb.pick(/mode/, { label: 'ExCP' });
      await wb.pick(/ExCP parameters/, { description: 'defaults from settings' });
      // Not the proposed name (checkpoint-200.ckpz beside it): the archive goes where the dialog says.
      const archive = join(workspace.run, 'step200-vs-100.ckpz');
      await wb.typeAndAccept(/archive to write/, archive);
      const summary = wb.toast(/^Compressed checkpoint-200 \(against checkpoint-100\) into /);
      await summary.waitFor({ timeout: 120_000 });
      await wb.screenshot('2-compress');
      const text = (await summary.locator('.notification-list-item-message').innerText()).trim();
      t.diagnostic(`summary: ${text}`);
      assert.match(text, /into step200-vs-100\.ckpz: /, 'the archive is the file the save dialog named');

      const seen = await notifications();
      assert.ok(seen.some((n) => /Compressing checkpoint-200/.test(n.text) && n.progress), `no progress notification was shown: ${JSON.stringify(seen)}`);
      // The job reports each tensor as it goes.
      assert.ok(seen.some((n) => n.text.startsWith('Compressing checkpoint-200: model.')), `no per-tensor progress: ${JSON.stringify(seen)}`);

      assert.ok(existsSync(archive), `${archive} was not written`);
      const m = /: ([\d.]+)× smaller, (.+?) → (.+?) in /.exec(text);
      assert.ok(m, `no ratio in the summary: ${text}`);
      const size = statSync(archive).size;
      const original = directoryBytes(workspace.checkpoint(200));
      assert.equal(m[3], formatBytes(size), 'the summary names the archive size');
      assert.equal(m[2], formatBytes(original), 'the summary names the checkpoint size (weights, optimizer.pt, trainer state)');
      const ratio = Number(m[1]);
      // The summary rounds to 3 significant digits (17.8×).
      assert.ok(Math.abs(ratio - original / size) / ratio < 0.005, `ratio ${ratio} but ${original} / ${size} = ${(original / size).toFixed(2)}`);

      const verify = spawnSync(process.execPath, ['dist/cli.js', 'verify', archive, '--ref', workspace.checkpoint(100)], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `ckpt-lens verify rejected the archive:\n${verify.stdout}${verify.stderr}`);
      t.diagnostic(`ckpt-lens verify: ${verify.stdout.trim().split('\n')[0]}`);
    }));

  test('3. hovering a tensor name in Python shows its shape and statistics', { timeout: 120_000 }, (t) =>
    scenario(t, '3-hover', async ({ workbench: wb, workspace }) => {
      await wb.quickOpen(basename(workspace.script), { label: basename(workspace.script) });
      const name = wb.editorLine(HOVER_TENSOR).locator('span span', { hasText: 'down_proj' }).first();
      await name.waitFor();
      // The active checkpoint (step 300) answers; statistics arrive after a first background computation.
      const ref = loadReference('tiny-llama-checkpoint-300').tensors[HOVER_TENSOR]!.weight;
      const text = await wb.hoverUntil(name, (x) => /\bweight\b.*\d/.test(x) && !/computing/.test(x), 90_000);
      await wb.screenshot('3-hover');
      assert.match(text, new RegExp(HOVER_TENSOR.replace(/\./g, '\\.')));
      assert.match(text, /shape \[64, 256\]/);
      assert.match(text, /16,384 params/);
      assert.doesNotMatch(text, /computing/, `the statistics never arrived:\n${text}`);
      // The statistics row of the weights: mean, std, min, max, absmax as the hover formats them.
      const row = text.split('\n').find((l) => /^\s*weight\s/.test(l));
      assert.ok(row, `no statistics row for the weights in:\n${text}`);
      const cells = row.trim().split(/\s+/).slice(1);
      assert.deepEqual(cells.slice(2), [ref.min, ref.max, ref.absmax].map(hoverNumber), `min/max/absmax against PyTorch's in: ${row}`);
      assert.ok(Math.abs(Number(cells[0]) - ref.mean) <= 1e-3 * Math.abs(ref.mean) + 1e-9, `mean ${cells[0]} vs PyTorch ${ref.mean}`);
      assert.ok(Math.abs(Number(cells[1]) - ref.std) <= 1e-3 * ref.std, `std ${cells[1]} vs PyTorch ${ref.std}`);
    }));

  test('4. the Pruning Explorer redraws the per-layer chart and the totals when the global slider moves to 50%', { timeout: 120_000 }, (t) =>
    scenario(t, '4-pruning', async ({ workbench: wb }) => {
      await wb.runCommand(`${PALETTE}Open Pruning Explorer`);
      await wb.pick(/Open Pruning Explorer/, { label: 'checkpoint-200' });
      const view = wb.webview();
      await view.getByTestId('pruning-title').filter({ hasText: 'checkpoint-200' }).waitFor();
      const sparsity = view.getByTestId('pruning-total-sparsity');
      await sparsity.filter({ hasText: /target 20\.0 ?%/ }).waitFor();
      const chart = view.getByTestId('pruning-layer-chart');
      const ratios = () => chart.evaluate((el) => Array.from((el as unknown as { data: Array<{ y: ArrayLike<number> }> }).data[0]!.y, Number));
      const before = { ratios: await ratios(), kept: await view.getByTestId('pruning-total-kept').innerText(), sparsity: await sparsity.innerText() };

      // As a keyboard user drags it: 30 steps right, each an input event (the view debounces its requests).
      const slider = view.getByTestId('pruning-global-slider');
      await slider.focus();
      for (let i = 0; i < 30; i++) await slider.press('ArrowRight');
      await view.getByTestId('pruning-global-value').filter({ hasText: /^50 ?%$/ }).waitFor();
      await sparsity.filter({ hasText: /target 50\.0 ?%/ }).waitFor();
      await wb.screenshot('4-pruning');

      const after = { ratios: await ratios(), kept: await view.getByTestId('pruning-total-kept').innerText(), sparsity: await sparsity.innerText() };
      t.diagnostic(`sparsity: ${before.sparsity} → ${after.sparsity}; kept: ${before.kept} → ${after.kept}`);
      const reached = Number(/^([\d.]+) ?%/.exec(after.sparsity)?.[1]);
      assert.ok(Math.abs(reached - 50) < 1, `the plan reaches ${after.sparsity}, not about 50 %`);
      assert.notEqual(after.kept, before.kept, 'the kept parameters did not change');
      assert.equal(after.ratios.length, before.ratios.length);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      assert.ok(mean(after.ratios) > mean(before.ratios) + 0.2, `the chart's ratios did not rise: ${before.ratios} → ${after.ratios}`);
    }));

  test('5. the Zero-Point Effect of a tensor draws three h(v) distributions', { timeout: 120_000 }, (t) =>
    scenario(t, '5-zero-point', async ({ workbench: wb }) => {
      await wb.runCommand(`${PALETTE}Show Zero-Point Effect`);
      await wb.pick(/Show Zero-Point Effect/, { label: 'checkpoint-200' });
      const view = wb.webview();
      await view.getByTestId('zero-point-title').filter({ hasText: 'checkpoint-200' }).waitFor();
      // The tensor, from the view's filterable picker.
      const picker = view.getByTestId('tensor-picker');
      // It fills with the checkpoint's tensor names when the host sends them; then open it, click the name.
      await picker.locator('vscode-option').nth(TENSORS - 1).waitFor({ state: 'attached' });
      await picker.click();
      await picker.getByRole('option', { name: ZERO_POINT_TENSOR, exact: true }).click();
      const chart = view.getByTestId('zero-point-chart');
      await chart.locator('.gtitle', { hasText: ZERO_POINT_TENSOR }).waitFor();
      await wb.screenshot('5-zero-point');

      const traces = await chart.evaluate((el) =>
        (el as unknown as { data: Array<{ name: string; y: ArrayLike<number> }> }).data.map((d) => ({ name: d.name, total: Array.from(d.y, Number).reduce((a, b) => a + b, 0) })),
      );
      assert.deepEqual(traces.map((x) => x.name), ['original', '4-bit with zero', '4-bit without zero']);
      for (const x of traces) assert.ok(x.total > 0, `the ${x.name} distribution is empty`);
      assert.equal(await chart.locator('.scatterlayer .trace').count(), 3, 'three distributions drawn');

      // zero_frac and update_rel_err of the two 4-bit codebooks, against PyTorch's.
      const ref = loadReference('tiny-llama-checkpoint-200').tensors[ZERO_POINT_TENSOR] as unknown as Record<string, { zero_frac: number; update_rel_err: number }>;
      for (const [side, key] of [['4-bit with zero', 'exp_avg_sq_b128_de4'], ['4-bit without zero', 'exp_avg_sq_b128_de0_4']] as const) {
        const cells = await view.locator(`[data-testid="zero-point-stats"] tr[data-side="${side}"] td`).allInnerTexts();
        t.diagnostic(`${side}: ${cells.join(' | ')}`);
        assert.equal(cells[2], viewPercent(ref[key]!.zero_frac, 3), `${side}: zero_frac`);
        assert.equal(cells[3], viewNumber(ref[key]!.update_rel_err), `${side}: update_rel_err`);
      }
    }));

  test('6. a .safetensors file opens in the custom editor with its tensor table', { timeout: 120_000 }, (t) =>
    scenario(t, '6-custom-editor', async ({ workbench: wb }) => {
      await wb.quickOpen('checkpoint-200/model.safetensors', { label: 'model.safetensors', description: 'checkpoint-200' });
      const view = wb.webview();
      await view.getByTestId('report-title').filter({ hasText: 'checkpoint-200/model.safetensors' }).waitFor();
      const rows = view.getByTestId('report-row');
      await rows.nth(TENSORS - 1).waitFor();
      await wb.screenshot('6-custom-editor');
      assert.equal(await rows.count(), TENSORS);
      const cells = await rows.filter({ hasText: HOVER_TENSOR }).locator('td').allInnerTexts();
      t.diagnostic(`row: ${cells.join(' | ')}`);
      const ref = loadReference('tiny-llama-checkpoint-200').tensors[HOVER_TENSOR]!.weight;
      assert.equal(cells[0], HOVER_TENSOR);
      assert.equal(cells[2], '[64, 256]');
      assert.equal(cells[3], 'F32');
      assert.equal(cells[4], '16,384');
      assert.equal(cells[7], viewNumber(ref.absmax), 'max |w| against PyTorch');
      assert.ok(Math.abs(Number(cells[5]) - ref.mean) <= 1e-3 * Math.abs(ref.mean) + 1e-9, `mean ${cells[5]} vs PyTorch ${ref.mean}`);
    }));
});
