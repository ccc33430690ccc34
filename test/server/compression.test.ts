// checkpointLens/compress, restore and verify over stdio against the real server: a compress streams
// progress to completion and writes an archive that verify accepts and restore brings back; a second
// compress cancelled midway leaves no archive, and the server keeps answering hovers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { ResponseError } from 'vscode-jsonrpc';
import { randomChunks } from '../../scripts/bench/randomTensors.ts';
import { writeSafetensors } from '../../server/src/formats/safetensors/writer.ts';
import type { CheckpointList, CompressResult, RestoreResult, VerifyResult } from '../../server/src/protocol.ts';
import { CancellationTokenSource, hoverText, startLanguageServer, type LspClient } from './lspHarness.ts';
import { fixtureWorkspace } from './workspace.ts';

const ws = fixtureWorkspace({ sharded: false });
const CK100 = ws.path('run', 'checkpoint-100');
const CK200 = ws.path('run', 'checkpoint-200');
const BIG = ws.path('big');
let client: LspClient;

before(async () => {
  // Eight 16 MiB tensors of random values: a lossless compress long enough to cancel midway.
  await writeSafetensors(ws.write('big/model.safetensors', ''), Array.from({ length: 8 }, (_, i) => ({ name: `model.layers.${i}.mlp.up_proj.weight`, dtype: 'F32' as const, shape: [2048, 2048], data: () => randomChunks(2048 * 2048, 'F32', { seed: i + 1, std: 0.02 }) })));
  client = await startLanguageServer({ root: ws.root, serverProgress: true, settings: { computeBackend: 'cpu', cacheDir: ws.cacheDir, diagnostics: { autoAnalyzeMaxBytes: 0 } } });
  await client.waitForNotification('checkpointLens/checkpointsChanged', (p) => (p as CheckpointList).checkpoints.length >= 4);
});

after(async () => {
  assert.equal(await client.stop(), 0);
});

test('compress streams progress to completion; verify accepts the archive; restore brings the checkpoint back', async () => {
  const archive = ws.path('step200.ckpz');
  const r = await client.request<CompressResult>('checkpointLens/compress', { source: CK200, reference: CK100, output: archive, mode: 'excp', workDoneToken: 'c1' });
  assert.ok(existsSync(archive));
  assert.ok(r.ratio > 16, `ratio ${r.ratio}`);
  assert.equal(r.summary.entries[0]!.kept_w, 145_767 / 164_160);
  const reports = client.progress.filter((e) => e.token === 'c1');
  assert.equal(reports[0]?.value.kind, 'begin');
  assert.ok(reports.some((e) => e.value.kind === 'report' && (e.value.percentage ?? 0) > 0), `progress reports: ${JSON.stringify(reports)}`);
  await client.waitForProgress((e) => e.token === 'c1' && e.value.kind === 'end');
  const v = await client.request<VerifyResult>('checkpointLens/verify', { archive, reference: CK100, against: CK200 });
  assert.equal(v.ok, true, v.errors.join('\n'));
  assert.ok(v.report.entries[0]!.maxRelErr! > 0 && v.report.entries[0]!.maxRelErr! < 0.1, JSON.stringify(v.report.entries));
  const out = ws.path('restored-200');
  const rr = await client.request<RestoreResult>('checkpointLens/restore', { archive, reference: CK100, output: out });
  assert.equal(rr.step, 200);
  assert.deepEqual(readdirSync(out).sort(), ['model.safetensors', 'optimizer.pt', 'trainer_state.json']);
});

test('a compress cancelled midway leaves no archive, and hovers still answer', async () => {
  const archive = ws.path('big.ckpz');
  const cancel = new CancellationTokenSource();
  const pending = client.request('checkpointLens/compress', { source: BIG, output: archive, mode: 'lossless', workDoneToken: 'c2' }, cancel);
  await client.waitForProgress((e) => e.token === 'c2' && e.value.kind === 'report' && (e.value.percentage ?? 0) > 0);
  cancel.cancel();
  await assert.rejects(pending, (e) => e instanceof ResponseError && e.code === -32800);
  await client.waitForProgress((e) => e.token === 'c2' && e.value.kind === 'end');
  // The worker stops at its next check; the archive (and its temporary file) must be gone by then.
  await client.request('checkpointLens/listCheckpoints', {});
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && readdirSync(ws.root).some((n) => n.startsWith('big.ckpz'))) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(readdirSync(ws.root).filter((n) => n.startsWith('big.ckpz')), []);
  const uri = client.open(ws.path('after.py'), 'x = "model.layers.0.mlp.down_proj.weight"');
  await client.request('checkpointLens/selectCheckpoint', { path: CK200 });
  assert.match(hoverText(await client.hover(uri, 0, 8)), /model\\.layers\\.0\\.mlp\\.down\\_proj\\.weight|down_proj/);
});
