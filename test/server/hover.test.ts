// Hovers over stdio against the real server (`node dist/cli.js serve --stdio`): tensor names of the
// tiny-llama fixture in a Python file, in several forms; facts and statistics equal to `analyze --json`;
// keys of a shard index; every checkpoint when none is active; escaping; 1,000 concurrent hovers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.ts';
import { craftSafetensors } from '../helpers/craftSafetensors.ts';
import { formatNumber, formatPercent } from '../../server/src/lsp/markdown.ts';
import type { AnalysisReport, QuantJson } from '../../server/src/analysis/reportTypes.ts';
import { hoverText, positionOf, startLanguageServer, type LspClient } from './lspHarness.ts';
import { f32Bytes, fixtureWorkspace } from './workspace.ts';

const ws = fixtureWorkspace();
const CK200 = ws.path('run', 'checkpoint-200');
const EVIL_NAME = 'evil](command:workbench.action.terminal.new)*x*<img src=y>';
ws.write(
  'evil/model.safetensors',
  craftSafetensors({ __metadata__: { note: '<img src=x onerror=alert(1)> [a](command:evil)' }, [EVIL_NAME]: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, f32Bytes([1, 2, 3, 4])),
);

const PY = [
  'import torch',
  'sd = torch.load("checkpoint-200/model.bin")',
  'w = sd["model.layers.0.self_attn.q_proj.weight"]',
  'up = model.layers.1.mlp.up_proj.weight',
  'down = self.model.layers[0].mlp.down_proj.weight.data',
  '# layers.0.self_attn.k_proj projects the keys',
  'v = model.layers[1].self_attn.get_parameter("v_proj.weight")',
  'head = lm_head',
  'both = "q_proj.weight"',
  'x.weight = 1',
].join('\n');

/** [text to hover (its 2nd character), the tensor it names] */
const FORMS: Array<[string, string]> = [
  ['model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.q_proj.weight'],
  ['model.layers.1.mlp.up_proj.weight', 'model.layers.1.mlp.up_proj.weight'],
  ['mlp.down_proj', 'model.layers.0.mlp.down_proj.weight'],
  ['layers.0.self_attn.k_proj', 'model.layers.0.self_attn.k_proj.weight'],
  ['v_proj.weight', 'model.layers.1.self_attn.v_proj.weight'],
  ['lm_head', 'lm_head.weight'],
];

let client: LspClient;
let uri: string;
let analyzed: AnalysisReport;

function escaped(name: string): string {
  return name.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

async function hoverAt(needle: string): Promise<string> {
  const p = positionOf(PY, needle, 1);
  return hoverText(await client.hover(uri, p.line, p.character));
}

before(async () => {
  const cli = await runCli(['analyze', CK200, '--json', '--no-cache', '--backend', 'cpu']);
  assert.equal(cli.code, 0, cli.stderr);
  analyzed = JSON.parse(cli.stdout) as AnalysisReport;
  client = await startLanguageServer({ root: ws.root, settings: { computeBackend: 'cpu', cacheDir: ws.cacheDir, diagnostics: { autoAnalyzeMaxBytes: 0 } } });
  await client.waitForNotification('checkpointLens/checkpointsChanged', (p) => (p as { checkpoints: unknown[] }).checkpoints.length === 5);
  await client.request('checkpointLens/selectCheckpoint', { path: CK200 });
  uri = client.open(ws.path('train.py'), PY);
});

after(async () => {
  assert.equal(await client.stop(), 0);
});

test('every form of a name shows the tensor, its dtype and shape from the header at once', async () => {
  for (const [needle, name] of FORMS) {
    const text = await hoverAt(needle);
    const t = analyzed.tensors[name]!;
    assert.ok(text.startsWith(`**${escaped(name)}**`), `${needle}: ${text.slice(0, 200)}`);
    assert.ok(text.includes(`\`F32\` · shape [${t.shape.join(', ')}] · ${t.numel.toLocaleString('en-US')} params`), `${needle}: ${text}`);
    assert.ok(text.includes('checkpoint\\-200 (step 200)'), text);
  }
});

test('statistics are computed on first use and then equal analyze --json, in the request and the hover', async () => {
  for (const [needle, name] of FORMS) {
    const summary = await client.request<{ header: { dtype: string; shape: number[] }; report: unknown }>('checkpointLens/tensorSummary', { tensor: name });
    assert.deepEqual(summary.report, analyzed.tensors[name], name);
    assert.equal(summary.header.dtype, 'F32');
    const text = await hoverAt(needle);
    const t = analyzed.tensors[name]!;
    for (const side of ['weight', 'exp_avg', 'exp_avg_sq'] as const) {
      const s = t[side]!;
      assert.ok(text.includes(`| ${side} | ${[s.mean, s.std, s.min, s.max, s.absmax].map(formatNumber).join(' | ')} |`), `${name} ${side}:\n${text}`);
    }
    assert.ok(text.includes(`sparsity ${formatPercent(t.weight.zeros / t.numel)}`), text);
    assert.ok(!text.includes('computing'), text);
  }
});

test('the hover of a larger matrix adds quantization error, the zero-point share and the outlier class', async () => {
  const t = analyzed.tensors['model.layers.1.mlp.up_proj.weight']!;
  const text = await hoverAt('model.layers.1.mlp.up_proj.weight');
  assert.ok(text.includes(`int8 ${formatPercent((t.weight_b128_lin8 as QuantJson).rel_err)}`), text);
  const zp = t.zero_point!;
  assert.ok(text.includes(`sends ${formatPercent(zp.with_zero.zero_frac)} of it to zero (update error ${formatNumber(zp.with_zero.update_rel_err)})`), text);
  // The fixture's reference: a 4-bit codebook with zero wrecks Adam's update here (about 9x error), DE-0 does not.
  assert.ok(zp.with_zero.update_rel_err > 5 && zp.without_zero.update_rel_err < 0.5);
  assert.ok(text.includes(`**Outliers** (k = 8): none`) || text.includes('**Outliers** (k = 8, '), text);
  assert.match(text, /`[▁▂▃▄▅▆▇█ ]{32}`/);
  assert.ok(text.includes('(command:checkpointLens.showZeroPoint?'), text);
});

test('an ambiguous partial name lists its tensors; a generic word gets no hover', async () => {
  const text = await hoverAt('"q_proj.weight"');
  assert.ok(text.includes('matches 2 tensors'), text);
  assert.ok(text.includes(escaped('model.layers.0.self_attn.q_proj.weight')) && text.includes(escaped('model.layers.1.self_attn.q_proj.weight')), text);
  const p = positionOf(PY, 'x.weight', 3);
  assert.equal(await client.hover(uri, p.line, p.character), null);
});

test('keys of model.safetensors.index.json show the tensors of the checkpoint the index describes', async () => {
  const indexPath = ws.path('sharded', 'model.safetensors.index.json');
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(indexPath, 'utf8');
  const indexUri = client.open(indexPath, text, 'json');
  const p = positionOf(text, '"model.layers.0.mlp.up_proj.weight"', 5);
  const h = hoverText(await client.hover(indexUri, p.line, p.character));
  assert.ok(h.startsWith(`**${escaped('model.layers.0.mlp.up_proj.weight')}**`), h);
  assert.ok(h.includes('`BF16` · shape [256, 64]') && h.includes('sharded'), h);
});

test('with no active checkpoint a name shows every checkpoint that has it; untrusted names and metadata are escaped', async () => {
  await client.request('checkpointLens/selectCheckpoint', { path: null });
  try {
    const doc = ['w = "model.layers.0.self_attn.q_proj.weight"', `e = sd["${EVIL_NAME}"]`].join('\n');
    const docUri = client.open(ws.path('none.py'), doc);
    const all = hoverText(await client.hover(docUri, 0, 10));
    assert.equal(all.split('\n---\n').length, 4, all);
    for (const label of ['checkpoint\\-100', 'checkpoint\\-200', 'checkpoint\\-300', 'sharded']) assert.ok(all.includes(label), `${label} missing:\n${all}`);
    const evil = hoverText(await client.hover(docUri, 1, 12));
    assert.ok(evil.startsWith(`**${escaped(EVIL_NAME)}**`), evil);
    // The only live links are the server's own commands; the name's and the metadata's are escaped text.
    const links = [...evil.matchAll(/(?<!\\)\]\((command:[^?)]*)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(links)].sort(), ['command:checkpointLens.openReport', 'command:checkpointLens.showHistogram']);
    assert.ok(!/(?<!\\)<img/.test(evil), evil);
    assert.ok(evil.includes('\\<img src\\=x onerror\\=alert\\(1\\)\\>'), evil);
  } finally {
    await client.request('checkpointLens/selectCheckpoint', { path: CK200 });
  }
});

test('settings changes apply to the next hover, pushed or pulled; unknown documents and positions get no hover', async () => {
  const full = await hoverAt('model.layers.1.mlp.up_proj.weight');
  assert.ok(full.includes('**Quantization**'), full);
  await client.rpc.sendNotification('workspace/didChangeConfiguration', { settings: { checkpointLens: { computeBackend: 'cpu', cacheDir: ws.cacheDir, hoverDetail: 'compact' } } });
  const compact = await hoverAt('model.layers.1.mlp.up_proj.weight');
  assert.ok(compact.includes('| weight |') && !compact.includes('**Quantization**') && !compact.includes('| exp_avg |'), compact);
  // An empty notification makes the server pull its section (the harness answers with the initial settings: full).
  await client.rpc.sendNotification('workspace/didChangeConfiguration', { settings: null });
  for (let i = 0; i < 100 && !(await hoverAt('model.layers.1.mlp.up_proj.weight')).includes('**Quantization**'); i++) await client.request('checkpointLens/listCheckpoints', {});
  assert.ok((await hoverAt('model.layers.1.mlp.up_proj.weight')).includes('**Quantization**'));
  assert.equal(await client.hover('file:///not/open.py', 0, 0), null);
  assert.equal(await client.hover(uri, 500, 3), null);
});

test('1,000 concurrent hovers all succeed', async () => {
  const positions = FORMS.map(([needle, name]) => ({ ...positionOf(PY, needle, 1), name }));
  const hovers = await Promise.all(Array.from({ length: 1000 }, (_, i) => {
    const p = positions[i % positions.length]!;
    return client.hover(uri, p.line, p.character).then((h) => ({ text: hoverText(h), name: p.name }));
  }));
  assert.equal(hovers.length, 1000);
  for (const h of hovers) assert.ok(h.text.startsWith(`**${escaped(h.name)}**`) && h.text.includes('| weight |'), h.text.slice(0, 100));
});
