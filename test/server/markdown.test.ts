// Hover Markdown helpers: escaping leaves no Markdown alive in untrusted text; numbers and sparklines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandLink, escapeMarkdown, formatNumber, sparkline } from '../../server/src/lsp/markdown.ts';

test('escaping disarms links, emphasis, HTML, tables, code and line breaks', () => {
  const evil = '[click](command:workbench.action.terminal.new) *x* _y_ <img src=x onerror=alert(1)> | `code` # h\nnext';
  const out = escapeMarkdown(evil);
  // Every Markdown-significant character is preceded by a backslash...
  for (const c of '[]()*_<>|`#') {
    for (let i = out.indexOf(c); i >= 0; i = out.indexOf(c, i + 1)) assert.equal(out[i - 1], '\\', `unescaped ${c} at ${i} in ${out}`);
  }
  // ...and the line break is gone, so the text cannot start a new block.
  assert.ok(!out.includes('\n'));
  assert.ok(out.includes('\uFFFD'));
  // Unescaping gives the text back (but the control character).
  assert.equal(out.replace(/\\(.)/g, '$1'), evil.replace('\n', '\uFFFD'));
});

test('escaping clips very long strings', () => {
  const out = escapeMarkdown('a'.repeat(1000), 20);
  assert.equal(out, `${'a'.repeat(19)}…`);
});

test('numbers: four significant digits, exponents outside [1e-3, 1e5), and the special values', () => {
  assert.equal(formatNumber(0.0022862), '0.002286');
  assert.equal(formatNumber(-0.35621), '-0.3562');
  assert.equal(formatNumber(12345.6), '12350');
  assert.equal(formatNumber(123456), '1.235e5');
  assert.equal(formatNumber(-4.2281e-6), '-4.228e-6');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(Number.NaN), 'NaN');
  assert.equal(formatNumber(-Infinity), '-inf');
  assert.equal(formatNumber(2), '2');
});

test('sparkline: columns summed, heights relative to the tallest, empty columns blank', () => {
  assert.equal(sparkline([0, 1, 2, 4, 8, 4, 2, 1, 0], 9), ' ▁▂▄█▄▂▁ ');
  // 8 bins into 4 columns: pairs summed (1+1, 2+2, 0+0, 8+8).
  assert.equal(sparkline([1, 1, 2, 2, 0, 0, 8, 8], 4), '▁▂ █');
  assert.equal(sparkline([0, 0, 0], 3), '   ');
  assert.equal(sparkline([]), '');
});

test('command links carry JSON arguments, URI-encoded, and an escaped label', () => {
  const link = commandLink('Open [x]', 'checkpointLens.openReport', { checkpoint: '/a b/c', tensor: 'w)"' });
  const m = /^\[(.*)\]\(command:checkpointLens\.openReport\?([^)\s]+)\)$/.exec(link);
  assert.ok(m, link);
  assert.equal(m[1], 'Open \\[x\\]');
  assert.deepEqual(JSON.parse(decodeURIComponent(m[2]!)), [{ checkpoint: '/a b/c', tensor: 'w)"' }]);
});
