// The command flows against the real language server over stdio (`node dist/cli.js serve --stdio`)
// on a copy of the tiny-llama fixtures, with a scripted UI in place of VS Code: Compress Checkpoint…
// as the end-to-end scenario plays it (checkpoint-200 against checkpoint-100), Restore Checkpoint…
// that learns from the server which reference the archive needs, Verify Archive, and the command
// links of a real hover, which must be commands of the table that the middleware trusts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { type RequestType, type WorkDoneProgressBegin, type WorkDoneProgressReport } from 'vscode-languageserver-protocol';
import { HoverCommand } from '../../server/src/protocol.ts';
import { runCommand } from '../../client/src/commands/run.ts';
import { COMMANDS } from '../../client/src/commands/table.ts';
import { trustOurCommands, type TrustableMarkdown } from '../../client/src/lsp/hoverTrust.ts';
import type { RequestOptions, ServerApi } from '../../client/src/lsp/serverApi.ts';
import { hoverText, positionOf, startLanguageServer, type LspClient } from '../server/lspHarness.ts';
import { fixtureWorkspace } from '../server/workspace.ts';
import { clickButton, fakeContext, pickDefault, pickLabel, saveDefault, acceptInput, ScriptedUi } from './fakes.ts';

const ws = fixtureWorkspace({ sharded: false });
const CK200 = ws.path('run', 'checkpoint-200');
const command = (id: string) => COMMANDS.find((c) => c.id === id)!;
const exists = async (p: string) => existsSync(p);

let client: LspClient;

/** ServerApi over the harness connection, as languageServer.ts is over vscode-languageclient. */
function serverApi(c: LspClient): ServerApi {
  const progress = new Map<string, (v: WorkDoneProgressBegin | WorkDoneProgressReport) => void>();
  // One dispatcher by token (the harness's own $/progress log is not needed here).
  c.rpc.onNotification('$/progress', (p: { token: string; value: WorkDoneProgressBegin | WorkDoneProgressReport }) => progress.get(p.token)?.(p.value));
  return {
    state: () => 'running',
    ready: async () => true,
    restart: async () => assert.fail('no restart expected'),
    async request<P extends object, R>(type: RequestType<P, R, void>, params: P, opts: RequestOptions = {}): Promise<R> {
      const token = randomUUID();
      if (opts.onProgress) progress.set(token, (v) => opts.onProgress!({ message: v.message, percentage: v.percentage }));
      try {
        return await c.rpc.sendRequest(type, opts.onProgress ? { ...params, workDoneToken: token } : params, opts.token);
      } finally {
        progress.delete(token);
      }
    },
  };
}

before(async () => {
  client = await startLanguageServer({ root: ws.root, settings: { computeBackend: 'cpu', cacheDir: ws.cacheDir, diagnostics: { autoAnalyzeMaxBytes: 0 } } });
  await client.waitForNotification('checkpointLens/checkpointsChanged', (p) => (p as { checkpoints: unknown[] }).checkpoints.length === 3);
});

after(async () => {
  assert.equal(await client.stop(), 0);
});

const archive = ws.path('run', 'checkpoint-200.ckpz');

test('Compress Checkpoint…: checkpoint-200 against checkpoint-100, ExCP defaults, progress, a summary with the ratio', async () => {
  const ui = new ScriptedUi([pickLabel('checkpoint-200'), pickDefault(), pickDefault(), pickDefault(), saveDefault(), clickButton('Open Report')]);
  const ctx = fakeContext(ui, serverApi(client), {});
  ctx.exists = exists;
  await runCommand(command('checkpointLens.compress'), ctx, []);
  ui.assertDone();
  assert.deepEqual(ui.messages('error'), []);
  const [source, reference] = ui.calls;
  assert.deepEqual(source!.items!.filter((i) => i.label.startsWith('checkpoint-')).map((i) => `${i.label} ${i.description}`), ['checkpoint-100 ws/run/checkpoint-100', 'checkpoint-200 ws/run/checkpoint-200', 'checkpoint-300 ws/run/checkpoint-300']);
  assert.equal(reference!.items!.find((i) => i.picked)!.label, 'checkpoint-100');
  assert.ok(existsSync(archive), 'the archive is written next to the checkpoint');
  assert.ok(ui.progress.length > 0, 'progress reached the notification');
  assert.ok(ui.progress.some((p) => p.percentage !== undefined && p.percentage > 0));
  const summary = ui.messages('info')[0]!.text!;
  const m = /^Compressed checkpoint-200 \(against checkpoint-100\) into checkpoint-200\.ckpz: ([\d.]+)× smaller, [\d.]+ MiB → [\d.]+ KiB in [\d.]+ s\. ExCP: weight error [\d.]+ %/.exec(summary);
  assert.ok(m, summary);
  const size = statSync(archive).size;
  const input = ['model.safetensors', 'optimizer.pt', 'trainer_state.json'].reduce((s, f) => s + statSync(ws.path('run', 'checkpoint-200', f)).size, 0);
  assert.ok(Math.abs(Number(m[1]) - input / size) / (input / size) < 0.01, `ratio ${m[1]} vs files ${input} / ${size}`);
  assert.deepEqual(ctx.panels.opened, [{ view: 'compression', args: { archive, fromJob: true } }]);
});

test('Restore Checkpoint…: the server names the reference the archive needs; it is preselected and the restore succeeds', async () => {
  assert.ok(existsSync(archive), 'needs the archive of the compress test');
  const ui = new ScriptedUi([acceptInput(''), saveDefault(), pickDefault(), clickButton()]);
  const ctx = fakeContext(ui, serverApi(client));
  ctx.exists = exists;
  await runCommand(command('checkpointLens.restore'), ctx, [{ scheme: 'file', path: archive, fsPath: archive }]);
  ui.assertDone();
  assert.deepEqual(ui.messages('error'), []);
  assert.equal(ui.calls[2]!.items!.find((i) => i.picked)?.label, 'checkpoint-100');
  const out = ws.path('run', 'checkpoint-200-restored');
  assert.ok(existsSync(`${out}/model.safetensors`));
  assert.match(ui.messages('info')[0]!.text!, new RegExp(`^Restored step 200 from checkpoint-200\\.ckpz to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ files\\)`));
});

test('Verify Archive: intact', async () => {
  const ui = new ScriptedUi([pickDefault(), clickButton()]);
  await runCommand(command('checkpointLens.verify'), fakeContext(ui, serverApi(client)), [{ scheme: 'file', path: archive, fsPath: archive }]);
  ui.assertDone();
  assert.match(ui.messages('info')[0]!.text!, /^checkpoint-200\.ckpz is intact: \d+ sections, every checksum matches, 1 entry/);
});

test('a real hover links only to commands of the table, and the middleware lets exactly those run', async () => {
  await client.request('checkpointLens/selectCheckpoint', { path: CK200 });
  const text = 'w = sd["model.layers.0.mlp.up_proj.weight"]\n';
  const uri = client.open(ws.path('train.py'), text);
  const p = positionOf(text, 'model.layers.0', 2);
  // The first hover may say "computing…"; the links are there either way.
  const value = hoverText(await client.hover(uri, p.line, p.character));
  const linked = [...value.matchAll(/\]\(command:([\w.]+)\?/g)].map((x) => x[1]!);
  assert.ok(linked.includes(HoverCommand.openReport), value);
  const md: TrustableMarkdown = { value };
  trustOurCommands([md]);
  const enabled = (md.isTrusted as { enabledCommands: readonly string[] }).enabledCommands;
  const ids = new Set(COMMANDS.map((c) => c.id));
  for (const id of linked) {
    assert.ok(enabled.includes(id), `${id} is linked but not trusted`);
    assert.ok(ids.has(id), `${id} is linked but not registered`);
  }
  // The link's argument is what the commands accept.
  const arg = /command:checkpointLens\.openReport\?([^)]+)\)/.exec(value)![1]!;
  const [target] = JSON.parse(decodeURIComponent(arg)) as [{ checkpoint: string; tensor: string }];
  const ui = new ScriptedUi([]);
  const ctx = fakeContext(ui, serverApi(client));
  await runCommand(command(HoverCommand.openReport), ctx, [target]);
  assert.deepEqual(ctx.panels.opened, [{ view: 'report', args: { checkpoint: CK200, tensor: 'model.layers.0.mlp.up_proj.weight' } }]);
});
