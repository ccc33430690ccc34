// The .vsix that `npm run package` builds (scripts/e2e/package-vsix.mjs): the bundled client, server,
// workers and webviews, Dawn's WebGPU addon for this platform (esbuild keeps `webgpu` external, so
// the server loads it from node_modules at run time), and nothing else; and that addon loads from
// the packaged layout. Packs the current dist/ (scripts/test.mjs builds it first).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import { PLOTLY_BUNDLE, VIEWS } from '../../client/src/webviews/views.ts';
import { openZip, type ZipArchive } from '../../server/src/formats/zip/zipReader.ts';
import { fileTempDir } from '../helpers/tempDir.ts';

const tmp = fileTempDir('ckpt-lens-vsix-test-');
const dawnDir = process.platform === 'darwin' ? 'darwin-universal' : `${process.platform}-${process.arch}`;

const REQUIRED = [
  'extension/package.json',
  'extension/readme.md',
  'extension/dist/client.js',
  'extension/dist/server.js',
  'extension/dist/analysisWorker.js',
  'extension/dist/kernelWorker.js',
  `extension/dist/webview/${PLOTLY_BUNDLE}`,
  // every panel's bundle the client loads
  ...Object.values(VIEWS).flatMap((v) => [`extension/dist/webview/${v.bundle}.js`, `extension/dist/webview/${v.bundle}.css`]),
  'extension/node_modules/webgpu/package.json',
  'extension/node_modules/webgpu/index.js',
  `extension/node_modules/webgpu/dist/${dawnDir}/dawn.node`,
];

/** Everything the package may hold: vsce's own records, the manifest and readme, the bundles (the CLI too), Dawn for one platform. */
const ALLOWED = [
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
  /^extension\/(package\.json|readme\.md|license(\.md|\.txt)?)$/i,
  /^extension\/dist\/(client|server|analysisWorker|kernelWorker|cli)\.js$/,
  /^extension\/dist\/webview\/[A-Za-z][\w.-]*\.(js|css)$/,
  new RegExp(`^extension/node_modules/webgpu/(package\\.json|index\\.js|LICENSE\\.md|dist/${dawnDir}/dawn\\.node)$`),
];

let vsix: ZipArchive;

before(async () => {
  const out = join(tmp.dir, 'checkpoint-lens.vsix');
  const r = spawnSync(process.execPath, ['scripts/e2e/package-vsix.mjs', '--no-build', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, `package-vsix failed:\n${r.stdout}${r.stderr}`);
  vsix = await openZip(out);
});

test('the .vsix holds the bundles, the webviews and Dawn for this platform', () => {
  const names = new Set(vsix.entries.map((e) => e.name));
  for (const file of REQUIRED) assert.ok(names.has(file), `${file} is missing from the .vsix`);
});

test('the .vsix holds nothing else (no sources, sourcemaps, other dependencies or platforms)', () => {
  const extra = vsix.entries.map((e) => e.name).filter((n) => !ALLOWED.some((re) => re.test(n)));
  assert.deepEqual(extra, []);
  // Six dependencies' worth of node_modules would be megabytes of duplicates of what esbuild bundled.
  assert.ok(vsix.fileSize < 16 << 20, `the .vsix is ${vsix.fileSize} bytes`);
});

test("the packaged webgpu module loads Dawn's addon from the extension's layout", { skip: process.platform === 'linux' && process.arch === 'x64' ? false : 'checked on linux-x64' }, async () => {
  const root = join(tmp.dir, 'unpacked');
  for (const e of vsix.entries.filter((x) => x.name.startsWith('extension/node_modules/webgpu/'))) {
    const path = join(root, e.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, await vsix.read(e));
  }
  const index = pathToFileURL(join(root, 'extension/node_modules/webgpu/index.js')).href;
  // A child process: loading a native addon into the test runner would pin it there.
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(index)}); console.log(typeof m.create, typeof m.globals)`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'function object');
});
