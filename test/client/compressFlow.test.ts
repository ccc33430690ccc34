// Compress Checkpoint… step by step against a scripted UI and a fake server: what it asks, in which
// order, with which defaults, what it sends, and what it says afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc';
import type { CompressParams, CompressResult } from '../../server/src/protocol.ts';
import { runCommand } from '../../client/src/commands/run.ts';
import { COMMANDS } from '../../client/src/commands/table.ts';
import { REMEMBERED_KEY } from '../../client/src/commands/compressParams.ts';
import { acceptInput, clickButton, dismissPick, FakeServer, fakeContext, MapMemory, pickDefault, pickLabel, saveDefault, ScriptedUi } from './fakes.ts';
import { CK100, CK200, RUN, sampleList } from './sampleList.ts';

const compress = COMMANDS.find((c) => c.id === 'checkpointLens.compress')!;

function result(p: CompressParams, over: Partial<CompressResult> = {}): CompressResult {
  const entry = { step: 200, name: 'checkpoint-200', mode: p.mode, orig_bytes: 2_046_000, compressed_bytes: 214_900, ratio: 9.52, tensors: {}, lossless_params: {}, kept_w: 0.0312, kept_m: 0.105, rel_err_w: 0.0081, update_rel_err: 0.04 };
  return {
    archive: p.output,
    bytesIn: 2_046_000,
    bytesOut: 214_900,
    ratio: 2_046_000 / 214_900,
    seconds: 2.14,
    entries: 1,
    summary: { archive: p.output, orig_bytes: 2_046_000, compressed_bytes: 214_900, ratio: 9.52, seconds: 2.14, params: { alpha: 5e-5, beta: 2, bits: 4, bitsMoments: 4, paperExact: false, mode: p.mode }, entries: [entry] },
    ...over,
  } as CompressResult;
}

function server(onCompress?: (p: CompressParams, opts: Parameters<FakeServer['request']>[2]) => unknown) {
  return new FakeServer({
    'checkpointLens/listCheckpoints': () => sampleList(),
    'checkpointLens/compress': async (p: CompressParams, opts) => {
      if (onCompress) return onCompress(p, opts);
      for (const percentage of [0, 40, 100]) opts.onProgress?.({ percentage, message: `checkpoint-200: ${percentage}` });
      return result(p);
    },
  });
}

test('palette → checkpoint-200 → previous step as reference → ExCP with the defaults → archive next to it → progress → summary → Open Report', async () => {
  const ui = new ScriptedUi([pickLabel('checkpoint-200'), pickDefault(), pickDefault(), pickDefault(), saveDefault(), clickButton('Open Report')]);
  const srv = server();
  const ctx = fakeContext(ui, srv, { existing: [`${CK200}.ckpz`] });
  await runCommand(compress, ctx, []);
  ui.assertDone();

  const [source, reference, mode, params, save] = ui.calls;
  // The source list: checkpoints labelled by name with their path, run directories, no archives or broken files.
  const labels = source!.items!.map((i) => `${i.label}|${i.description ?? ''}`);
  assert.ok(labels.includes('checkpoint-200|ws/tiny-llama/checkpoint-200'));
  assert.ok(labels.includes('checkpoint-200|ws/tiny-llama-bf16/checkpoint-200'));
  assert.ok(labels.includes('tiny-llama|ws/tiny-llama'), 'the run directory is offered');
  assert.ok(!labels.some((l) => l.startsWith('old.ckpz') || l.startsWith('broken')));
  // The reference: the previous step of the same run first and preselected.
  assert.equal(reference!.items![0]!.label, 'checkpoint-100');
  assert.equal(reference!.items![0]!.picked, true);
  assert.match(reference!.items![0]!.detail!, /^previous step · step 100/);
  assert.deepEqual(reference!.items![0]!.value, { kind: 'path', path: CK100 });
  assert.ok(reference!.items!.some((i) => i.label === 'No reference'));
  assert.deepEqual(mode!.items!.map((i) => [i.label, i.picked === true]), [['ExCP', true], ['Lossless', false]]);
  assert.equal(params!.items![0]!.label, 'α 5e-5 · β 2 · 4-bit residuals · 4-bit moments');
  assert.equal(params!.items![0]!.description, 'defaults from settings');
  // checkpoint-200.ckpz exists already: the default is the next free name.
  assert.equal((save!.opts as { defaultPath: string }).defaultPath, `${RUN}/checkpoint-200-2.ckpz`);

  assert.deepEqual(srv.sent('checkpointLens/compress'), [{ source: CK200, output: `${RUN}/checkpoint-200-2.ckpz`, mode: 'excp', reference: CK100, alpha: 5e-5, beta: 2, bits: 4, bitsMoments: 4 }]);
  assert.deepEqual(ui.progressTitles, ['Compressing checkpoint-200']);
  assert.deepEqual(ui.progress.map((p) => p.percentage), [0, 40, 100]);
  const summary = ui.messages('info')[0]!;
  assert.equal(summary.text, 'Compressed checkpoint-200 (against checkpoint-100) into checkpoint-200-2.ckpz: 9.52× smaller, 1.95 MiB → 209.9 KiB in 2.1 s. ExCP: weight error 0.81 %, kept 3.1 % of the weight residuals, 10.5 % of the moments.');
  assert.deepEqual(summary.buttons, ['Open Report', 'Reveal Archive']);
  assert.deepEqual(ctx.panels.opened, [{ view: 'compression', args: { archive: `${RUN}/checkpoint-200-2.ckpz`, fromJob: true } }]);
});

test('the parameters chosen are remembered: next time they come first, the settings second', async () => {
  const memory = new MapMemory();
  const custom = [pickLabel('checkpoint-200'), pickDefault(), pickDefault(), pickLabel('Set α, β and bits…'), acceptInput('1e-4'), acceptInput('3'), acceptInput('3'), acceptInput(), saveDefault(), clickButton()];
  const ui1 = new ScriptedUi(custom);
  const srv1 = server();
  await runCommand(compress, fakeContext(ui1, srv1, { memory }), []);
  ui1.assertDone();
  assert.deepEqual(memory.get(REMEMBERED_KEY), { mode: 'excp', excp: { alpha: 1e-4, beta: 3, bits: 3, bitsMoments: 4 } });
  assert.deepEqual(srv1.sent('checkpointLens/compress')[0], { source: CK200, output: `${CK200}.ckpz`, mode: 'excp', reference: CK100, alpha: 1e-4, beta: 3, bits: 3, bitsMoments: 4 });

  const ui2 = new ScriptedUi([pickLabel('checkpoint-200'), pickDefault(), pickDefault(), pickDefault(), saveDefault(), clickButton()]);
  const srv2 = server();
  await runCommand(compress, fakeContext(ui2, srv2, { memory }), []);
  const params = ui2.calls[3]!;
  assert.deepEqual(params.items!.slice(0, 2).map((i) => [i.label, i.description]), [
    ['α 1e-4 · β 3 · 3-bit residuals · 4-bit moments', 'last used'],
    ['α 5e-5 · β 2 · 4-bit residuals · 4-bit moments', 'defaults from settings'],
  ]);
  assert.equal((srv2.sent('checkpointLens/compress')[0] as CompressParams).alpha, 1e-4);
});

test('a rate target is sent instead of alpha', async () => {
  const ui = new ScriptedUi([pickLabel('checkpoint-200'), pickDefault(), pickDefault(), pickLabel('Aim for a compression ratio…'), acceptInput('25'), saveDefault(), clickButton()]);
  const srv = server();
  const memory = new MapMemory();
  await runCommand(compress, fakeContext(ui, srv, { memory }), []);
  const sent = srv.sent('checkpointLens/compress')[0] as CompressParams;
  assert.equal(sent.targetRatio, 25);
  assert.equal(sent.alpha, undefined);
  assert.equal((memory.get(REMEMBERED_KEY) as { excp: { targetRatio: number } }).excp.targetRatio, 25);
});

test('without a reference the checkpoint is stored losslessly: no mode or parameter questions', async () => {
  const ui = new ScriptedUi([pickLabel('checkpoint-200'), pickLabel('No reference'), saveDefault(), clickButton()]);
  const srv = server();
  const memory = new MapMemory();
  await runCommand(compress, fakeContext(ui, srv, { memory }), []);
  ui.assertDone();
  assert.deepEqual(srv.sent('checkpointLens/compress'), [{ source: CK200, output: `${CK200}.ckpz`, mode: 'lossless' }]);
  assert.equal((memory.get(REMEMBERED_KEY) as { mode: string }).mode, 'excp', 'an implied lossless does not change the remembered mode');
});

test('a run directory from the explorer: no source or reference questions; its existing archive is appended to', async () => {
  const ui = new ScriptedUi([pickDefault(), pickDefault(), pickDefault(), clickButton('Reveal Archive')]);
  const srv = server();
  const ctx = fakeContext(ui, srv, { existing: [`${RUN}.ckpz`] });
  await runCommand(compress, ctx, [{ scheme: 'file', path: RUN, fsPath: RUN }, [{ scheme: 'file', path: RUN, fsPath: RUN }]]);
  ui.assertDone();
  assert.deepEqual(ui.calls.map((c) => c.title), ['Compress Checkpoint: mode', 'Compress Checkpoint: ExCP parameters', 'Compress Checkpoint: archive', ui.calls[3]!.title]);
  assert.match(ui.calls[0]!.items![0]!.detail!, /first checkpoint lossless/);
  assert.deepEqual(srv.sent('checkpointLens/compress'), [{ source: RUN, output: `${RUN}.ckpz`, mode: 'excp', alpha: 5e-5, beta: 2, bits: 4, bitsMoments: 4, append: true }]);
  assert.deepEqual(ui.revealed, [`${RUN}.ckpz`]);
});

test('cancelling the progress notification cancels the request quietly', async () => {
  const ui = new ScriptedUi([pickLabel('checkpoint-200'), pickDefault(), pickDefault(), pickDefault(), saveDefault()]);
  ui.cancelOnProgress = true;
  const srv = server(
    (_p, opts) =>
      new Promise((_resolve, reject) => {
        opts!.token!.onCancellationRequested(() => reject(new ResponseError(-32800, 'Request cancelled')));
        opts!.onProgress!({ percentage: 5 });
      }),
  );
  await runCommand(compress, fakeContext(ui, srv), []);
  ui.assertDone();
  assert.deepEqual(ui.messages(), [], 'no message after a cancel');
  assert.ok(ui.logs.some((l) => /Compressing checkpoint-200: cancelled/.test(l)));
});

test('a server error is shown once, with its message; dismissing a pick sends nothing', async () => {
  const message = `${CK200}/model.safetensors: tensor "model.embed_tokens.weight": data runs past the end of the file (byte offset 1048576)`;
  const ui = new ScriptedUi([pickLabel('checkpoint-200'), pickDefault(), pickDefault(), pickDefault(), saveDefault(), clickButton()]);
  await runCommand(compress, fakeContext(ui, server(() => Promise.reject(new ResponseError(-32001, message)))), []);
  const errors = ui.messages('error');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.text, `Checkpoint Lens: Compress Checkpoint… failed: ${message}`);

  const ui2 = new ScriptedUi([pickLabel('checkpoint-200'), dismissPick()]);
  const srv2 = server();
  await runCommand(compress, fakeContext(ui2, srv2), []);
  ui2.assertDone();
  assert.deepEqual(srv2.sent('checkpointLens/compress'), []);
});

test('with the server down the command says so and offers a restart instead of running', async () => {
  const ui = new ScriptedUi([clickButton('Restart Server')]);
  const srv = server();
  srv.current = 'stopped';
  await runCommand(compress, fakeContext(ui, srv), []);
  assert.deepEqual(srv.requests, []);
  assert.equal(srv.restarts, 1);
  assert.match(ui.messages('error')[0]!.text!, /Compress Checkpoint… needs the Checkpoint Lens language server, which is not running/);
});
