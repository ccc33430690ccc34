// Resolving the checkpointLens.* configuration into the server's settings object: the manifest's
// defaults are the server's defaults, bad values fall back with a warning naming the setting, and
// cache paths become absolute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_SETTINGS } from '../../server/src/settings.ts';
import { resolveSettings, SETTING_KEYS, type ResolveContext, type SettingKey } from '../../client/src/settings.ts';

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { configuration: { properties: Record<string, { default: unknown }> } } };
const manifestDefault = (key: string) => manifest.contributes.configuration.properties[`checkpointLens.${key}`]?.default;

/** VS Code's WorkspaceConfiguration.get: the user's value, else the manifest default. */
function config(user: Partial<Record<SettingKey, unknown>>) {
  const read: string[] = [];
  const get = (key: SettingKey) => {
    read.push(key);
    return key in user ? user[key] : manifestDefault(key);
  };
  return { get, read };
}

const ctx: ResolveContext = { home: '/home/ada', workspaceFolder: '/work/proj' };

test('the manifest defaults resolve to exactly the server defaults, with no warnings', () => {
  const c = config({});
  assert.deepEqual(resolveSettings(c.get, ctx), { settings: DEFAULT_SETTINGS, warnings: [] });
  assert.deepEqual(c.read.sort(), [...SETTING_KEYS].sort(), 'each setting is read once');
});

test('user values land in their places of the settings object', () => {
  const { settings, warnings } = resolveSettings(
    config({
      computeBackend: 'cpu',
      'compression.mode': 'lossless',
      'compression.alpha': 1e-4,
      'compression.beta': 0,
      'compression.bits': 3,
      'compression.bitsMoments': 8,
      outlierK: 6.5,
      hoverDetail: 'compact',
      'diagnostics.quant4RelErr': 0.1,
      'diagnostics.autoAnalyzeMaxBytes': 0,
    }).get,
    ctx,
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(settings, {
    computeBackend: 'cpu',
    cacheDir: null,
    compression: { mode: 'lossless', alpha: 1e-4, beta: 0, bits: 3, bitsMoments: 8 },
    outlierK: 6.5,
    hoverDetail: 'compact',
    diagnostics: { quant4RelErr: 0.1, autoAnalyzeMaxBytes: 0 },
  });
});

test('each bad value falls back to its default with a warning naming the checkpointLens setting', () => {
  const { settings, warnings } = resolveSettings(
    config({ computeBackend: 'tpu', 'compression.bits': 9, 'compression.alpha': 'small', outlierK: -1, hoverDetail: 'verbose', 'diagnostics.quant4RelErr': Number.NaN, cacheDir: 42 }).get,
    ctx,
  );
  assert.deepEqual(settings, DEFAULT_SETTINGS);
  const named = warnings.map((w) => w.slice(0, w.indexOf(':')));
  assert.deepEqual(named.sort(), [
    'checkpointLens.cacheDir',
    'checkpointLens.compression.alpha',
    'checkpointLens.compression.bits',
    'checkpointLens.computeBackend',
    'checkpointLens.diagnostics.quant4RelErr',
    'checkpointLens.hoverDetail',
    'checkpointLens.outlierK',
  ]);
  assert.match(warnings.find((w) => w.includes('computeBackend'))!, /"tpu".*using auto/);
});

test('cache directories: ~, ${userHome}, ${workspaceFolder} and relative paths become absolute; blank is the default', () => {
  const cacheDir = (v: unknown, c = ctx) => resolveSettings(config({ cacheDir: v }).get, c);
  assert.equal(cacheDir('~/caches/ckpt').settings.cacheDir, '/home/ada/caches/ckpt');
  assert.equal(cacheDir('~').settings.cacheDir, '/home/ada');
  assert.equal(cacheDir('${userHome}/c').settings.cacheDir, '/home/ada/c');
  assert.equal(cacheDir('${workspaceFolder}/.cache/lens').settings.cacheDir, '/work/proj/.cache/lens');
  assert.equal(cacheDir('.cache/../lens').settings.cacheDir, '/work/proj/lens');
  assert.equal(cacheDir('/var/cache/lens/').settings.cacheDir, '/var/cache/lens');
  assert.equal(cacheDir('   ').settings.cacheDir, null);
  assert.deepEqual(cacheDir('').warnings, []);

  const noFolder = { home: '/home/ada', workspaceFolder: null };
  const rel = cacheDir('lens-cache', noFolder);
  assert.equal(rel.settings.cacheDir, null);
  assert.match(rel.warnings[0]!, /^checkpointLens\.cacheDir: the relative path "lens-cache" needs an open folder/);
  const wf = cacheDir('${workspaceFolder}/c', noFolder);
  assert.equal(wf.settings.cacheDir, null);
  assert.match(wf.warnings[0]!, /no folder is open/);
  assert.equal(cacheDir('~/x', noFolder).settings.cacheDir, '/home/ada/x');
});
