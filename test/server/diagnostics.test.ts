// Diagnostics over stdio: unreadable checkpoints are errors (with the FormatError message, on the key an
// index names), moments that do not line up and bad values are warnings (on the index key of the tensor
// when an index describes the checkpoint), new files are picked up by watching; the server never dies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { craftSafetensors } from '../helpers/craftSafetensors.ts';
import { positionOf, startLanguageServer, type LspClient } from './lspHarness.ts';
import { f32Bytes, fixtureWorkspace, type Workspace } from './workspace.ts';

const ws = fixtureWorkspace({ run: false, sharded: false });
const uriOf = (...parts: string[]) => pathToFileURL(ws.path(...parts)).toString();

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

/** A shard + model.safetensors.index.json holding the tensors given (F32). */
function writeSharded(w: Workspace, dir: string, tensors: Record<string, { shape: number[]; values: number[] }>): void {
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = f32Bytes(t.values);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [at, at + bytes.length] };
    chunks.push(bytes);
    at += bytes.length;
  }
  const data = new Uint8Array(at);
  let o = 0;
  for (const c of chunks) (data.set(c, o), (o += c.length));
  const shard = 'model-00001-of-00001.safetensors';
  w.write(`${dir}/${shard}`, craftSafetensors(header, data));
  const weightMap = Object.fromEntries(Object.keys(tensors).map((n) => [n, shard]));
  w.write(`${dir}/model.safetensors.index.json`, `${JSON.stringify({ metadata: { total_size: at }, weight_map: weightMap }, null, 2)}\n`);
}

const rnd = seeded(7);
const normal = (n: number) => Array.from({ length: n }, () => rnd() + rnd() + rnd());
const outlierRows = normal(64 * 64).map((v, i) => (Math.floor(i / 64) === 5 ? v * 1000 : v));
writeSharded(ws, 'values', {
  'model.layers.0.mlp.up_proj.weight': { shape: [128, 64], values: normal(128 * 64) },
  'model.layers.0.nan_proj.weight': { shape: [8, 8], values: normal(64).map((v, i) => (i === 3 ? NaN : i === 9 ? Infinity : v)) },
  'model.layers.0.zero_proj.weight': { shape: [8, 8], values: new Array(64).fill(0) },
  'model.layers.0.self_attn.o_proj.weight': { shape: [64, 64], values: outlierRows },
});
ws.write('broken/model.safetensors', craftSafetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8, { headerLength: 10n ** 12n }));
ws.write('broken-index/model.safetensors.index.json', '{"weight_map": {"a.weight": "model.safetensors"');
ws.write('badmap/model.safetensors.index.json', JSON.stringify({ weight_map: { 'x.weight': '../elsewhere.safetensors' } }, null, 2));
ws.write('misaligned/model.safetensors', craftSafetensors({ 'w.weight': { dtype: 'F32', shape: [4, 4], data_offsets: [0, 64] }, 'w.weight.exp_avg_sq': { dtype: 'F32', shape: [2, 8], data_offsets: [64, 128] } }, 128));
ws.write(
  'partial/model.safetensors',
  craftSafetensors(
    {
      'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      'a.weight.exp_avg': { dtype: 'F32', shape: [2, 2], data_offsets: [16, 32] },
      'a.weight.exp_avg_sq': { dtype: 'F32', shape: [2, 2], data_offsets: [32, 48] },
      'b.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [48, 64] },
    },
    f32Bytes([1, 2, 3, 4, 0.1, 0.1, 0.1, 0.1, 1e-4, -1e-4, 1e-4, 1e-4, 5, 6, 7, 8]),
  ),
);

let client: LspClient;

const has = (text: string) => (d: Diagnostic[]) => d.some((x) => x.message.includes(text));

before(async () => {
  client = await startLanguageServer({ root: ws.root, settings: { computeBackend: 'cpu', cacheDir: ws.cacheDir, diagnostics: { quant4RelErr: 0.05, autoAnalyzeMaxBytes: 0 } } });
});

after(async () => {
  assert.equal(await client.stop(), 0);
});

test('malformed checkpoints yield error diagnostics with the FormatError message, and the server goes on', async () => {
  const broken = await client.waitForDiagnostics(uriOf('broken', 'model.safetensors'), (d) => d.length > 0, 'the broken header');
  assert.equal(broken.length, 1);
  assert.equal(broken[0]!.severity, 1);
  assert.match(broken[0]!.message, /^checkpoint cannot be read: .*broken\/model\.safetensors, byte 0: header length 1000000000000 exceeds/);
  const index = await client.waitForDiagnostics(uriOf('broken-index', 'model.safetensors.index.json'), (d) => d.length > 0, 'the broken index');
  assert.match(index[0]!.message, /index is not valid UTF-8 JSON/);
  // An index error about one tensor sits on that tensor's key.
  const badmap = await client.waitForDiagnostics(uriOf('badmap', 'model.safetensors.index.json'), (d) => d.length > 0, 'the bad weight_map');
  const text = readFileSync(ws.path('badmap', 'model.safetensors.index.json'), 'utf8');
  assert.deepEqual(badmap[0]!.range.start, positionOf(text, '"x.weight"'));
  assert.match(badmap[0]!.message, /is not a file name beside the index/);
  const mis = await client.waitForDiagnostics(uriOf('misaligned', 'model.safetensors'), (d) => d.length > 0, 'the misaligned moment');
  assert.match(mis[0]!.message, /moment shape \[2, 8\] does not match parameter shape \[4, 4\]/);
  const list = await client.request<{ checkpoints: Array<{ path: string; error: string | null }> }>('checkpointLens/listCheckpoints', {});
  assert.equal(list.checkpoints.filter((c) => c.error !== null).length, 4);
  assert.ok(list.checkpoints.some((c) => c.path === ws.path('values') && c.error === null));
});

test('moments that cover only some parameters are a warning from the headers alone', async () => {
  const d = await client.waitForDiagnostics(uriOf('partial', 'model.safetensors'), has('optimizer state covers 1 of 2 parameters'), 'the partial moments');
  assert.ok(d[0]!.message.includes('without moments: b.weight'), d[0]!.message);
  assert.equal(d[0]!.severity, 2);
});

test('after analysis: NaN/Inf, all zeros, outlier rows and high 4-bit error, each on its key in the index', async () => {
  await client.request('checkpointLens/analyze', { checkpoint: ws.path('values') });
  const uri = uriOf('values', 'model.safetensors.index.json');
  const text = readFileSync(ws.path('values', 'model.safetensors.index.json'), 'utf8');
  const d = await client.waitForDiagnostics(uri, has('extreme outliers'), 'the value warnings');
  const on = (name: string, what: string) => {
    const hit = d.find((x) => x.message.startsWith(`${name}: `) && x.message.includes(what));
    assert.ok(hit, `no '${what}' warning for ${name}: ${d.map((x) => x.message).join(' | ')}`);
    assert.deepEqual(hit.range.start, positionOf(text, JSON.stringify(name)));
    assert.equal(hit.severity, 2);
  };
  on('model.layers.0.nan_proj.weight', '1 NaN and 1 Inf values');
  on('model.layers.0.zero_proj.weight', 'all 64 values are zero');
  on('model.layers.0.self_attn.o_proj.weight', 'extreme outliers (k = 8): 1 outlier rows 5');
  on('model.layers.0.mlp.up_proj.weight', 'high 4-bit quantization error');
  // Tensors below the quantization size (4,096 elements) are not measured, so they cannot be flagged for it.
  assert.ok(!d.some((x) => x.message.startsWith('model.layers.0.zero_proj.weight') && x.message.includes('4-bit')));
});

test('an open tensor listing of the client gets the findings on the names it shows', async () => {
  const listing = ['model.layers.0.mlp.up_proj.weight  F32 [128, 64]', 'model.layers.0.zero_proj.weight  F32 [8, 8]'].join('\n');
  const uri = client.open(`checkpoint-lens:${ws.path('values')}`, listing, 'checkpoint-listing');
  const d = await client.waitForDiagnostics(uri, has('all 64 values are zero'), 'the listing diagnostics');
  const zero = d.find((x) => x.message.includes('all 64 values are zero'))!;
  assert.deepEqual(zero.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 'model.layers.0.zero_proj.weight'.length } });
  assert.ok(d.some((x) => x.range.start.line === 0 && x.message.includes('4-bit')));
});

test('impossible second moments are flagged once the checkpoint is analysed', async () => {
  await client.request('checkpointLens/analyze', { checkpoint: ws.path('partial', 'model.safetensors') });
  const d = await client.waitForDiagnostics(uriOf('partial', 'model.safetensors'), has('exp_avg_sq has negative values'), 'the negative exp_avg_sq');
  assert.ok(d.some((x) => x.message.startsWith('a.weight: exp_avg_sq has negative values (min -1.000e-4)')), d.map((x) => x.message).join(' | '));
});

test('a file written later is picked up through the client\'s file watching, and its fix clears the error', async () => {
  const reg = client.registrations as Array<{ method: string; registerOptions: { watchers: Array<{ globPattern: string }> } }>;
  const watch = reg.find((r) => r.method === 'workspace/didChangeWatchedFiles');
  assert.ok(watch?.registerOptions.watchers.some((w) => w.globPattern === '**/*.safetensors'));
  const path = ws.write('later/model.safetensors', 'not a safetensors file at all');
  const uri = pathToFileURL(path).toString();
  await client.rpc.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 1 }] });
  const d = await client.waitForDiagnostics(uri, (x) => x.length > 0, 'the later file');
  assert.equal(d[0]!.severity, 1);
  writeFileSync(path, craftSafetensors({ 'ok.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8));
  await client.rpc.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 2 }] });
  await client.waitForDiagnostics(uri, (x) => x.length === 0, 'the fixed file');
  const list = await client.waitForNotification('checkpointLens/checkpointsChanged', (p) => (p as { checkpoints: Array<{ path: string; error: string | null }> }).checkpoints.some((c) => c.path === ws.path('later') && c.error === null));
  assert.ok(list);
});

test('without client file watching the server watches the folder itself', async () => {
  const other = await startLanguageServer({ root: ws.root, clientWatchesFiles: false, settings: { computeBackend: 'cpu', cacheDir: ws.cacheDir, diagnostics: { autoAnalyzeMaxBytes: 0 } } });
  try {
    await other.waitForNotification('checkpointLens/checkpointsChanged');
    assert.equal(other.registrations.length, 0);
    const path = ws.write('watched/model.safetensors', new Uint8Array(3));
    const d = await other.waitForDiagnostics(pathToFileURL(path).toString(), (x) => x.length > 0, 'the file the server saw itself');
    assert.match(d[0]!.message, /checkpoint cannot be read/);
  } finally {
    assert.equal(await other.stop(), 0);
  }
});
