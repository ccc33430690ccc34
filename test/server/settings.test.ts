// The settings object: defaults, both shapes clients send, and bad values replaced with warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, parseSettings } from '../../server/src/settings.ts';

test('nothing sent: the defaults, no warnings', () => {
  assert.deepEqual(parseSettings(undefined), { settings: DEFAULT_SETTINGS, warnings: [] });
  assert.deepEqual(parseSettings({}), { settings: DEFAULT_SETTINGS, warnings: [] });
});

test('the section itself and the didChangeConfiguration shape { checkpointLens: {...} } read the same', () => {
  const section = { computeBackend: 'cpu', cacheDir: '/tmp/c', outlierK: 6, hoverDetail: 'compact', compression: { mode: 'lossless', bits: 3 }, diagnostics: { quant4RelErr: 0.1 } };
  const a = parseSettings(section);
  const b = parseSettings({ checkpointLens: section });
  assert.deepEqual(a, b);
  assert.equal(a.settings.computeBackend, 'cpu');
  assert.equal(a.settings.cacheDir, '/tmp/c');
  assert.equal(a.settings.outlierK, 6);
  assert.equal(a.settings.hoverDetail, 'compact');
  assert.deepEqual(a.settings.compression, { ...DEFAULT_SETTINGS.compression, mode: 'lossless', bits: 3 });
  assert.deepEqual(a.settings.diagnostics, { ...DEFAULT_SETTINGS.diagnostics, quant4RelErr: 0.1 });
  assert.deepEqual(a.warnings, []);
});

test('each bad value falls back to its default with a warning naming the field', () => {
  const { settings, warnings } = parseSettings({ computeBackend: 'tpu', outlierK: -1, cacheDir: 5, compression: { bits: 9, alpha: 'x' }, diagnostics: 'loud', hoverDetail: null });
  assert.equal(settings.computeBackend, 'auto');
  assert.equal(settings.outlierK, DEFAULT_SETTINGS.outlierK);
  assert.equal(settings.cacheDir, null);
  assert.equal(settings.compression.bits, DEFAULT_SETTINGS.compression.bits);
  assert.equal(settings.compression.alpha, DEFAULT_SETTINGS.compression.alpha);
  assert.deepEqual(settings.diagnostics, DEFAULT_SETTINGS.diagnostics);
  assert.equal(settings.hoverDetail, DEFAULT_SETTINGS.hoverDetail);
  for (const field of ['computeBackend', 'outlierK', 'cacheDir', 'compression.bits', 'compression.alpha', 'diagnostics']) {
    assert.ok(warnings.some((w) => w.startsWith(`${field}:`)), `no warning for ${field}: ${warnings.join(' / ')}`);
  }
  assert.equal(warnings.length, 6);
  assert.deepEqual(parseSettings('cpu').warnings.length, 1);
});
