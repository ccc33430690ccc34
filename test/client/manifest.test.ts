// package.json's contributions against the code: the command table and the manifest's commands are
// the same list with the same titles, menus and hovers name commands that exist, every setting is
// documented with a default of its type, and the custom editor, webview activation and the server's
// debug port agree with the code that uses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { HoverCommand } from '../../server/src/protocol.ts';
import { CATEGORY, COMMANDS, STATUS_BAR_COMMAND } from '../../client/src/commands/table.ts';
import { TRUSTED_HOVER_COMMANDS } from '../../client/src/lsp/hoverTrust.ts';
import { SERVER_DEBUG_PORT, serverLaunch } from '../../client/src/lsp/launch.ts';
import { CLIENT_SETTING_KEYS, SETTING_KEYS } from '../../client/src/settings.ts';
import { CONTEXT_KEYS } from '../../client/src/status/explorerContext.ts';
import { REPORT_EDITOR_VIEW_TYPE, VIEWS } from '../../client/src/webviews/views.ts';

interface Setting {
  type: string | string[];
  default: unknown;
  description?: string;
  markdownDescription?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  main: string;
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string; title: string; category: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    customEditors: Array<{ viewType: string; selector: Array<{ filenamePattern: string }>; priority?: string }>;
    configuration: { properties: Record<string, Setting> };
  };
};
const { contributes } = pkg;

test('the command table and package.json list the same commands, with the same titles, all in category "Checkpoint Lens"', () => {
  const table = new Map(COMMANDS.map((c) => [c.id, c.title]));
  assert.equal(table.size, COMMANDS.length, 'duplicate ids in the table');
  const manifest = new Map(contributes.commands.map((c) => [c.command, c.title]));
  assert.equal(manifest.size, contributes.commands.length, 'duplicate commands in package.json');
  assert.deepEqual([...manifest.keys()].sort(), [...table.keys()].sort());
  for (const [id, title] of table) assert.equal(manifest.get(id), title, `title of ${id}`);
  for (const c of contributes.commands) assert.equal(c.category, CATEGORY, `category of ${c.command}`);
  // The titles end-to-end tests and users type.
  for (const title of ['Compress Checkpoint…', 'Restore Checkpoint…', 'Verify Archive', 'Open Checkpoint Report', 'Show Moment Histograms', 'Show Zero-Point Effect', 'Open Pruning Explorer', 'Select Active Checkpoint', 'Compare Checkpoints']) {
    assert.ok([...table.values()].includes(title), `no command titled ${title}`);
  }
});

test('menus, the status bar and hover links name commands of the table; hovers trust exactly the hover commands', () => {
  const ids = new Set(COMMANDS.map((c) => c.id));
  for (const [menu, entries] of Object.entries(contributes.menus)) {
    for (const e of entries) assert.ok(ids.has(e.command), `${menu} names ${e.command}, which is not a command`);
  }
  assert.ok(ids.has(STATUS_BAR_COMMAND));
  for (const id of Object.values(HoverCommand)) assert.ok(ids.has(id), `hovers link to ${id}, which is not registered`);
  assert.deepEqual([...TRUSTED_HOVER_COMMANDS].sort(), Object.values(HoverCommand).sort());
});

test('explorer menus show on checkpoint files and folders only, through context keys the client sets', () => {
  const menu = contributes.menus['explorer/context']!;
  const keys = new Set<string>(Object.values(CONTEXT_KEYS));
  for (const e of menu) {
    assert.ok(e.when, `${e.command} has no when clause: it would show on every file`);
    for (const key of e.when.match(/checkpointLens\.\w+/g) ?? []) assert.ok(keys.has(key), `${e.command}: context key ${key} is never set`);
  }
  const when = (id: string) => menu.find((e) => e.command === id)?.when ?? '';
  assert.match(when('checkpointLens.compress'), /\.safetensors/);
  assert.match(when('checkpointLens.compress'), /checkpointLens\.runFolders/);
  assert.match(when('checkpointLens.restore'), /resourceExtname == \.ckpz/);
  assert.match(when('checkpointLens.verify'), /resourceExtname == \.ckpz/);
  assert.match(when('checkpointLens.openReport'), /\.ckpz/);
  assert.match(when('checkpointLens.compare'), /listMultiSelection/);
});

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return false;
  }
}

test('every setting has a description and a default of its declared type, inside its enum and bounds', () => {
  const props = contributes.configuration.properties;
  assert.deepEqual(Object.keys(props).sort(), [...SETTING_KEYS, ...CLIENT_SETTING_KEYS].map((k) => `checkpointLens.${k}`).sort());
  for (const [key, s] of Object.entries(props)) {
    const text = s.markdownDescription ?? s.description ?? '';
    assert.ok(text.trim().length >= 20, `${key} has no real description`);
    const types = Array.isArray(s.type) ? s.type : [s.type];
    assert.ok(types.some((t) => typeOk(t, s.default)), `${key}: default ${JSON.stringify(s.default)} is not a ${types.join(' | ')}`);
    if (s.enum) assert.ok(s.enum.includes(s.default), `${key}: default ${String(s.default)} is not one of ${s.enum.join(', ')}`);
    if (typeof s.default === 'number') {
      if (s.minimum !== undefined) assert.ok(s.default >= s.minimum, `${key}: default below minimum`);
      if (s.maximum !== undefined) assert.ok(s.default <= s.maximum, `${key}: default above maximum`);
      if (s.exclusiveMinimum !== undefined) assert.ok(s.default > s.exclusiveMinimum, `${key}: default not above exclusiveMinimum`);
    }
  }
  assert.deepEqual(props['checkpointLens.computeBackend']!.enum, ['auto', 'webgpu', 'cpu']);
  assert.deepEqual(props['checkpointLens.hoverDetail']!.enum, ['compact', 'full']);
  assert.deepEqual(props['checkpointLens.compression.mode']!.enum, ['excp', 'lossless']);
});

test('the custom editor opens .safetensors and .ckpz files; webview panels and the editor activate the extension', () => {
  const editor = contributes.customEditors.find((e) => e.viewType === REPORT_EDITOR_VIEW_TYPE);
  assert.ok(editor, `no custom editor ${REPORT_EDITOR_VIEW_TYPE}`);
  assert.deepEqual(editor.selector.map((s) => s.filenamePattern).sort(), ['*.ckpz', '*.safetensors']);
  for (const view of Object.values(VIEWS)) assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${view.viewType}`), `panels of ${view.viewType} are not restored after a reload`);
  assert.ok(pkg.activationEvents.includes(`onCustomEditor:${REPORT_EDITOR_VIEW_TYPE}`));
  assert.equal(pkg.main, './dist/client.js');
});

test('in debug mode the server listens for the inspector on the port "Attach to Server" uses', () => {
  const launchJson = readFileSync('.vscode/launch.json', 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const attach = (JSON.parse(launchJson) as { configurations: Array<{ name: string; port?: number }> }).configurations.find((c) => c.name === 'Attach to Server');
  assert.equal(attach?.port, SERVER_DEBUG_PORT);
  const launch = serverLaunch('/ext');
  assert.equal(launch.run.module, '/ext/dist/server.js');
  assert.ok(launch.debug.execArgv.includes(`--inspect=${SERVER_DEBUG_PORT}`));
  assert.ok(!launch.run.execArgv.some((a) => a.startsWith('--inspect')), 'the normal run opens no inspector');
});
