// The extension's bundle: `node scripts/build.mjs --only=client` writes dist/client.js, which loads
// only `vscode` (provided by the editor) and Node's built-ins at run time; everything else is inside.
// From the server it carries the protocol's message types, the settings parser, a byte formatter and
// the layer grouping of tensor names (pure string work), never the analyses, kernels or file formats (the client talks to those through the server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';

test('dist/client.js requires only vscode and Node built-ins, and bundles no server internals', () => {
  const started = Date.now();
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--only=client'], { encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  assert.ok(statSync('dist/client.js').mtimeMs >= started - 1000, 'dist/client.js was not rewritten');

  const code = readFileSync('dist/client.js', 'utf8');
  const required = new Set([...code.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!));
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const foreign = [...required].filter((m) => m !== 'vscode' && !builtins.has(m));
  assert.deepEqual(foreign, [], `the bundle requires packages that are not in it: ${foreign.join(', ')}`);
  assert.ok(required.has('vscode'));
  assert.ok(!/\brequire\((?!")/.test(code), 'a require of a computed name');

  const map = JSON.parse(readFileSync('dist/client.js.map', 'utf8')) as { sources: string[] };
  const ours = map.sources.filter((s) => !s.includes('node_modules/')).map((s) => s.replace(/^(\.\.\/)+/, ''));
  const fromServer = ours.filter((s) => !s.startsWith('client/') && !s.startsWith('webview/src/protocol.ts'));
  assert.deepEqual(fromServer.sort(), ['server/src/analysis/layers.ts', 'server/src/analysis/layersNaming.ts', 'server/src/cli/format.ts', 'server/src/protocol.ts', 'server/src/settings.ts']);
  assert.ok(map.sources.some((s) => s.includes('node_modules/vscode-languageclient/')), 'vscode-languageclient is bundled');
});
