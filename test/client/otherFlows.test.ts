// The other commands of the table against a scripted UI and a fake server: where their target comes
// from (hover link, explorer, palette pick), what they send, and the reference retry of archives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc';
import type { RestoreParams, RestoreResult, SelectCheckpointParams, VerifyParams, VerifyResult } from '../../server/src/protocol.ts';
import { targetFromArgs } from '../../client/src/commands/args.ts';
import { neededReference } from '../../client/src/commands/referenceRetry.ts';
import { parseStep } from '../../client/src/commands/restore.ts';
import { runCommand } from '../../client/src/commands/run.ts';
import { COMMANDS } from '../../client/src/commands/table.ts';
import type { PickOptions } from '../../client/src/ui/ui.ts';
import { acceptInput, clickButton, FakeServer, fakeContext, pickDefault, pickLabel, pickWhere, saveDefault, ScriptedUi } from './fakes.ts';
import { ARCHIVE, CK100, CK200, CK300, LONE, sampleList, WS } from './sampleList.ts';

const command = (id: string) => COMMANDS.find((c) => c.id === id)!;
const uri = (p: string) => ({ scheme: 'file', path: p, fsPath: p });

function listing(extra: Record<string, (p: any, o: any) => unknown> = {}) {
  return new FakeServer({ 'checkpointLens/listCheckpoints': () => sampleList(), ...extra });
}

test('command arguments: hover objects, explorer resources and selections, paths and file URIs', () => {
  assert.deepEqual(targetFromArgs([]), { selection: [] });
  assert.deepEqual(targetFromArgs([{ checkpoint: CK200, tensor: 'lm_head.weight' }]), { checkpoint: CK200, tensor: 'lm_head.weight', selection: [CK200] });
  assert.deepEqual(targetFromArgs([uri(CK200), [uri(CK100), uri(CK200)]]), { checkpoint: CK200, selection: [CK100, CK200] });
  assert.deepEqual(targetFromArgs([uri(CK200)]), { checkpoint: CK200, selection: [CK200] });
  assert.deepEqual(targetFromArgs([{ scheme: 'checkpoint-lens', path: CK300, fsPath: CK300 }]), { checkpoint: CK300, selection: [CK300] });
  assert.deepEqual(targetFromArgs([{ scheme: 'untitled', path: 'Untitled-1', fsPath: 'Untitled-1' }]), { selection: [] });
  assert.deepEqual(targetFromArgs(['file:///ws/a%20b/checkpoint-1']), { checkpoint: '/ws/a b/checkpoint-1', selection: ['/ws/a b/checkpoint-1'] });
});

test('panels: a hover link opens at once; the palette asks, with the active checkpoint preselected', async () => {
  const srv = listing();
  const ui = new ScriptedUi([]);
  const ctx = fakeContext(ui, srv);
  await runCommand(command('checkpointLens.openReport'), ctx, [{ checkpoint: CK200, tensor: 'model.norm.weight' }]);
  await runCommand(command('checkpointLens.showHistogram'), ctx, [{ checkpoint: CK200, tensor: 'model.norm.weight' }]);
  await runCommand(command('checkpointLens.showZeroPoint'), ctx, [{ checkpoint: CK200, tensor: 'model.norm.weight' }]);
  assert.deepEqual(srv.requests, [], 'no round trip for a hover link');
  assert.deepEqual(ctx.panels.opened, [
    { view: 'report', args: { checkpoint: CK200, tensor: 'model.norm.weight' } },
    { view: 'histograms', args: { checkpoint: CK200, tensor: 'model.norm.weight' } },
    { view: 'zeroPoint', args: { checkpoint: CK200, tensor: 'model.norm.weight' } },
  ]);

  const ui2 = new ScriptedUi([pickDefault(), pickDefault()]);
  const ctx2 = fakeContext(ui2, listing());
  await runCommand(command('checkpointLens.openPruningExplorer'), ctx2, []);
  await runCommand(command('checkpointLens.showZeroPoint'), ctx2, []);
  assert.deepEqual(ctx2.panels.opened, [{ view: 'pruning', args: { checkpoint: CK300 } }, { view: 'zeroPoint', args: { checkpoint: CK300 } }]);
  const picked = ui2.calls[0]!.items!.find((i) => i.picked)!;
  assert.equal(picked.label, 'checkpoint-300');
  assert.match(picked.detail!, /^active · step 300/);
  // The zero-point effect needs Adam moments: the lone weights file is not offered.
  assert.ok(!ui2.calls[1]!.items!.some((i) => (i.value as { path?: string }).path === LONE));
  assert.ok(ui2.calls[0]!.items!.some((i) => (i.value as { path?: string }).path === LONE));
});

test('Select Active Checkpoint: follow the newest, pin one, none, or the explorer folder directly', async () => {
  const sent: SelectCheckpointParams[] = [];
  const srv = listing({
    'checkpointLens/selectCheckpoint': (p: SelectCheckpointParams) => {
      sent.push(p);
      return sampleList({ active: p.path ?? (p.auto ? CK300 : null), selection: p.auto ? 'auto' : p.path ? 'user' : 'none' });
    },
  });
  const ui = new ScriptedUi([pickLabel('checkpoint-100'), pickLabel('No active checkpoint'), pickLabel('Follow the newest checkpoint')]);
  const ctx = fakeContext(ui, srv);
  const select = command('checkpointLens.selectCheckpoint');
  await runCommand(select, ctx, []);
  await runCommand(select, ctx, []);
  await runCommand(select, ctx, []);
  await runCommand(select, ctx, [uri(CK200)]);
  assert.deepEqual(sent, [{ path: CK100 }, { path: null }, { path: null, auto: true }, { path: CK200 }]);
  assert.equal(ui.calls[0]!.items!.find((i) => i.picked)!.label, 'Follow the newest checkpoint', 'auto is the current selection');
  assert.deepEqual(ui.messages(), []);
});

test('Compare Checkpoints: two explorer folders compare the later step against the earlier; the palette asks for both', async () => {
  const ui = new ScriptedUi([pickLabel('checkpoint-300'), pickDefault()]);
  const ctx = fakeContext(ui, listing());
  const compare = command('checkpointLens.compare');
  await runCommand(compare, ctx, [uri(CK100), [uri(CK100), uri(CK300)]]);
  await runCommand(compare, ctx, []);
  assert.deepEqual(ctx.panels.opened, [
    { view: 'report', args: { checkpoint: CK300, reference: CK100 } },
    { view: 'report', args: { checkpoint: CK300, reference: CK200 } },
  ]);
  assert.equal(ui.calls[1]!.title, 'Compare Checkpoints: compare checkpoint-300 with');
});

// The server's message when an archive needs the checkpoint it was compressed against (server/src/compress/restore.ts).
const needsRef = `${WS}/checkpoint-200.ckpz: entry checkpoint-200 was compressed against ${CK100} (step 100): pass that checkpoint with --ref`;

test('the reference an archive needs is read from the server error', () => {
  assert.equal(neededReference(new ResponseError(-32001, needsRef)), CK100);
  assert.equal(neededReference(new Error(`${WS}/a b (1)/x.ckpz: entry x was compressed against /ws/a b (1)/checkpoint-7 (step ?): pass that checkpoint with --ref`)), '/ws/a b (1)/checkpoint-7');
  assert.equal(neededReference(new Error('checksum mismatch in section 3')), null);
});

test('Restore: archive from the explorer, last entry, default output; asked for the reference only when the archive needs it', async () => {
  const attempts: RestoreParams[] = [];
  const srv = listing({
    'checkpointLens/restore': (p: RestoreParams): RestoreResult => {
      attempts.push(p);
      if (!p.reference) throw new ResponseError(-32001, needsRef);
      return { output: p.output, files: ['model.safetensors', 'optimizer.pt', 'trainer_state.json'], seconds: 0.8, step: 200 };
    },
  });
  const archive = `${WS}/checkpoint-200.ckpz`;
  const ui = new ScriptedUi([acceptInput(''), saveDefault(), pickDefault(), clickButton('Reveal')]);
  const ctx = fakeContext(ui, srv, { existing: [`${WS}/checkpoint-200-restored`] });
  await runCommand(command('checkpointLens.restore'), ctx, [uri(archive)]);
  ui.assertDone();
  const output = `${WS}/checkpoint-200-restored-2`;
  assert.deepEqual(attempts, [{ archive, output }, { archive, output, reference: CK100 }]);
  const refPick = ui.calls[2]!;
  assert.equal(refPick.items!.find((i) => i.picked)!.label, 'checkpoint-100', 'the checkpoint the server named is preselected');
  assert.match((refPick.opts as PickOptions).placeholder!, /compressed against \/ws\/tiny-llama\/checkpoint-100/);
  assert.equal(ui.messages('info')[0]!.text, `Restored step 200 from checkpoint-200.ckpz to ${output} (3 files) in 0.8 s.`);
  assert.deepEqual(ui.revealed, [output]);
  assert.deepEqual(ui.messages('error'), []);
});

test('Restore from the palette: archives of the workspace, a chosen step', async () => {
  const attempts: RestoreParams[] = [];
  const srv = listing({ 'checkpointLens/restore': (p: RestoreParams) => (attempts.push(p), { output: p.output, files: ['model.safetensors'], seconds: 1, step: 100 }) });
  const ui = new ScriptedUi([pickLabel('old.ckpz'), acceptInput(' 100 '), saveDefault(), clickButton()]);
  await runCommand(command('checkpointLens.restore'), fakeContext(ui, srv), []);
  ui.assertDone();
  assert.deepEqual(attempts, [{ archive: ARCHIVE, output: `${WS}/old-restored`, step: 100 }]);
  assert.deepEqual(parseStep(''), {});
  assert.deepEqual(parseStep('300'), { step: 300 });
  assert.match(parseStep('-1').error!, /integer/);
  assert.match(parseStep('1.5').error!, /integer/);
});

test('Verify: checksums only, or per-tensor errors against the original; damage is an error with the details in the output', async () => {
  const verified: VerifyParams[] = [];
  const good: VerifyResult = {
    ok: true,
    sections: 14,
    errors: [],
    report: { archive: ARCHIVE, ok: true, sections: 14, errors: [], entries: [{ step: 200, name: 'checkpoint-200', mode: 'excp', maxRelErr: 0.0123, tensors: { 'lm_head.weight': 0.0123 } }] },
  };
  const bad: VerifyResult = { ok: false, sections: 14, errors: ['section 3 (w/lm_head.weight): CRC32 0x1234abcd, expected 0x99990000 (byte offset 4096)', 'section 4: …'], report: { archive: ARCHIVE, ok: false, sections: 14, errors: [], entries: [] } };
  let answer = good;
  const srv = listing({ 'checkpointLens/verify': (p: VerifyParams) => (verified.push(p), answer) });
  const ui = new ScriptedUi([pickDefault(), clickButton(), pickWhere((i) => (i.value as { path?: string }).path === CK200), clickButton('Show Details'), pickDefault(), clickButton()]);
  const ctx = fakeContext(ui, srv);
  const verify = command('checkpointLens.verify');
  await runCommand(verify, ctx, [uri(ARCHIVE)]);
  await runCommand(verify, ctx, [uri(ARCHIVE)]);
  answer = bad;
  await runCommand(verify, ctx, [uri(ARCHIVE)]);
  ui.assertDone();
  assert.deepEqual(verified, [{ archive: ARCHIVE }, { archive: ARCHIVE, against: CK200 }, { archive: ARCHIVE }]);
  const [first, second, third] = ui.messages();
  assert.equal(first!.text, 'old.ckpz is intact: 14 sections, every checksum matches, 1 entry, largest tensor error against the original 1.2 %.');
  assert.equal(second!.level, 'info');
  assert.equal(ui.logShown, 1);
  assert.ok(ui.logs.includes('    lm_head.weight: 1.230e-2'));
  assert.equal(third!.level, 'error');
  assert.equal(third!.text, 'old.ckpz is damaged: section 3 (w/lm_head.weight): CRC32 0x1234abcd, expected 0x99990000 (byte offset 4096) (and 1 more).');
});
