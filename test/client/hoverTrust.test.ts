// The hover middleware: Markdown from the server may run our three commands and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HoverCommand } from '../../server/src/protocol.ts';
import { commandLink } from '../../server/src/lsp/markdown.ts';
import { trustOurCommands, TRUSTED_HOVER_COMMANDS, type TrustableMarkdown } from '../../client/src/lsp/hoverTrust.ts';

/** VS Code's rule for a command link in Markdown: it runs when trusted outright or its id is enabled. */
function runs(md: TrustableMarkdown, id: string): boolean {
  const t = md.isTrusted;
  return t === true || (typeof t === 'object' && t.enabledCommands.includes(id));
}

function linkedCommands(value: string): string[] {
  return [...value.matchAll(/\]\(command:([\w.]+)\?/g)].map((m) => m[1]!);
}

test('Markdown parts get our commands enabled, and only them; code blocks and plain strings are left alone', () => {
  const args = { checkpoint: '/ws/run/checkpoint-200', tensor: 'model.layers.0.mlp.up_proj.weight' };
  const ours: TrustableMarkdown = { value: [commandLink('Open in report', HoverCommand.openReport, args), commandLink('Histograms', HoverCommand.showHistogram, args), commandLink('Zero-point effect', HoverCommand.showZeroPoint, args)].join(' · ') };
  // What a crafted tensor name or file could try to smuggle in.
  const foreign: TrustableMarkdown = { value: '[run](command:workbench.action.terminal.sendSequence?%5B%7B%22text%22%3A%22rm%22%7D%5D)', isTrusted: true, supportHtml: true };
  const code = { language: 'python', value: 'x = 1' };
  const contents: unknown[] = [ours, foreign, 'plain', code];

  trustOurCommands(contents);

  assert.deepEqual(linkedCommands(ours.value), Object.values(HoverCommand));
  for (const id of linkedCommands(ours.value)) assert.ok(runs(ours, id), `${id} does not run from a hover`);
  assert.equal(runs(foreign, 'workbench.action.terminal.sendSequence'), false, 'a foreign command runs from a hover');
  assert.equal(foreign.supportHtml, false);
  assert.deepEqual(ours.isTrusted, { enabledCommands: TRUSTED_HOVER_COMMANDS });
  assert.deepEqual(code, { language: 'python', value: 'x = 1' });
  assert.equal(contents[2], 'plain');
});

test('the trusted list cannot be changed through a hover', () => {
  const md: TrustableMarkdown = { value: 'x' };
  trustOurCommands([md]);
  const enabled = (md.isTrusted as { enabledCommands: string[] }).enabledCommands;
  assert.throws(() => enabled.push('workbench.action.openSettings'));
  assert.equal(TRUSTED_HOVER_COMMANDS.length, 3);
});
