// Compression report in Chromium: the summary of a real compress job (tiny-llama step 200 against
// 100) with its per-layer kept shares and errors pooled here from the per-tensor figures, and a real
// series archive (steps 100–300) read back through checkpointLens/archiveInfo, as a .ckpz opened in
// the editor shows it.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import type { CompressSummary } from '../../../server/src/compress/compress.ts';
import { ArchiveInfo } from '../../../server/src/protocol.ts';
import type { Env } from '../harness/env.ts';
import { runArchive, step200Archive } from '../harness/fixtureArchives.ts';

/** The layer of a tiny-llama tensor, by the plain rule its names follow. */
function layerOf(name: string): string {
  const block = /^model\.layers\.(\d+)\./.exec(name);
  if (block) return `layers.${block[1]}`;
  if (name === 'model.embed_tokens.weight') return 'embeddings';
  if (name === 'model.norm.weight') return 'final_norm';
  if (name === 'lm_head.weight') return 'head';
  throw new Error(`unexpected tensor ${name}`);
}

/** Per layer: kept weight share (Σ kept / Σ numel) and pooled weight error sqrt(Σ sq_err / Σ sq_norm). */
function expectedLayers(s: CompressSummary): Map<string, { keptW: number; relErrW: number; updateRelErr: number }> {
  const acc = new Map<string, { kept: number; numel: number; err: number; norm: number; uErr: number; uNorm: number }>();
  for (const [name, t] of Object.entries(s.entries[0]!.tensors)) {
    const l = layerOf(name);
    const a = acc.get(l) ?? { kept: 0, numel: 0, err: 0, norm: 0, uErr: 0, uNorm: 0 };
    a.kept += t.kept_w;
    a.numel += t.numel;
    a.err += t.sq_err_w;
    a.norm += t.sq_norm_w;
    a.uErr += t.update_sq_err ?? 0;
    a.uNorm += t.update_sq_norm ?? 0;
    acc.set(l, a);
  }
  return new Map([...acc].map(([l, a]) => [l, { keptW: a.kept / a.numel, relErrW: Math.sqrt(a.err / a.norm), updateRelErr: Math.sqrt(a.uErr / a.uNorm) }]));
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

export function compressionTests(env: Env): void {
  test('after a compress job: ratio, sizes and per-layer kept shares and errors from its summary', async (t) => {
    const summary = await step200Archive();
    const server = env.server();
    const vp = await env.open(t, 'compression', { archive: summary.archive }, server, { seed: summary });
    if (!vp) return;
    try {
      await vp.page.waitForFunction(() => document.querySelectorAll('[data-testid="compression-entry-row"]').length === 1);
      const ratio = summary.ratio.toFixed(summary.ratio < 10 ? 2 : 1);
      assert.match((await vp.page.getByTestId('compression-summary').textContent()) ?? '', new RegExp(`^1\\.90 MiB → [\\d.]+ KiB · ${ratio.replace('.', '\\.')}× smaller · 1 entry · written in`));
      const cells = await vp.page.locator('[data-testid="compression-entry-row"] td').allTextContents();
      assert.deepEqual(cells.slice(0, 3), ['checkpoint-200', '200', 'ExCP']);
      assert.equal(cells[6], `${(summary.entries[0]!.kept_w! * 100).toFixed(2)} %`);
      const want = expectedLayers(summary);
      const kept = await vp.plotData<string>('compression-kept-chart', 2);
      assert.deepEqual(kept[0]!.x, ['embeddings', 'layers.0', 'layers.1', 'final_norm', 'head']);
      kept[0]!.x.forEach((l, i) => assert.ok(close(kept[0]!.y[i]!, want.get(l)!.keptW), `${l} kept ${kept[0]!.y[i]} vs ${want.get(l)!.keptW}`));
      const errors = await vp.plotData<string>('compression-error-chart', 2);
      errors[0]!.x.forEach((l, i) => {
        assert.ok(close(errors[0]!.y[i]!, want.get(l)!.relErrW), `${l} weight error`);
        assert.ok(close(errors[1]!.y[i]!, want.get(l)!.updateRelErr), `${l} h(v) error`);
      });
      assert.equal(await vp.page.locator('[data-testid="compression-layers"] tbody tr').count(), 5);
      assert.equal(await vp.page.locator('[data-testid="compression-ratio-chart"]').isVisible(), false, 'one entry: no per-entry chart');
      // The summary was enough: nothing was asked of the server.
      assert.equal(server.count(ArchiveInfo.method), 0);
      await vp.screenshot('compression');
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('a series archive read back from the file: every entry, the last ExCP one in detail, a lossless one says so', async (t) => {
    const summary = await runArchive();
    const server = env.server();
    const vp = await env.open(t, 'compression', { archive: summary.archive }, server);
    if (!vp) return;
    try {
      await vp.page.waitForFunction(() => document.querySelectorAll('[data-testid="compression-entry-row"]').length === 3);
      assert.equal(server.count(ArchiveInfo.method), 1);
      const rows = await vp.page.locator('[data-testid="compression-entry-row"]').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
      assert.deepEqual(rows.map((r) => r.slice(0, 3)), [['checkpoint-100', '100', 'lossless'], ['checkpoint-200', '200', 'ExCP'], ['checkpoint-300', '300', 'ExCP']]);
      // Entry sizes are the job's (the same records); the whole is the file.
      const perEntry = await vp.plotData<string>('compression-ratio-chart', 1);
      perEntry[0]!.y.forEach((r, i) => assert.ok(close(r, summary.entries[i]!.ratio), `entry ${i} ratio`));
      assert.match((await vp.page.getByTestId('compression-summary').textContent()) ?? '', /· 3 entries · read from the archive$/);
      assert.equal(statSync(summary.archive).size, summary.compressed_bytes);
      assert.equal(await vp.page.getByTestId('compression-entry-name').textContent(), 'checkpoint-300 (step 300)');
      assert.match((await vp.page.getByTestId('compression-entry-facts').textContent()) ?? '', /Reference: the restored previous entry \(step 200\)/);
      await vp.plotData<string>('compression-kept-chart', 2);
      await vp.screenshot('compression-series');
      await vp.page.locator('[data-testid="compression-entry-row"][data-index="0"]').click();
      await vp.page.waitForFunction(() => document.querySelector('[data-testid="compression-entry-name"]')?.textContent === 'checkpoint-100 (step 100)');
      assert.match((await vp.page.getByTestId('compression-lossless-note').textContent()) ?? '', /^Lossless entry: every tensor restores bit-exact/);
      assert.equal(await vp.page.getByTestId('compression-kept-chart').isVisible(), false);
      assert.deepEqual(((await vp.state()) as { ui: unknown }).ui, { selected: 0 });
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });

  test('without an archive the panel says what to do', async (t) => {
    const vp = await env.open(t, 'compression', {}, env.server());
    if (!vp) return;
    try {
      await vp.page.waitForFunction(() => !(document.querySelector('[data-testid="error"]') as HTMLElement).hidden);
      assert.match((await vp.page.getByTestId('error').textContent()) ?? '', /compress a checkpoint, or open a \.ckpz file/);
      assert.deepEqual(await vp.allProblems(), []);
    } finally {
      await vp.close();
    }
  });
}
