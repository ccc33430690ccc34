// The hover's name-matching rule (server/src/lsp/nameMatch.ts) on the names of the tiny-llama fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchTensorNames, nameAtCursor, NameIndex } from '../../server/src/lsp/nameMatch.ts';

const NAMES = [
  'model.embed_tokens.weight',
  ...[0, 1].flatMap((i) => ['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((p) => `model.layers.${i}.self_attn.${p}.weight`)),
  ...[0, 1].flatMap((i) => ['gate_proj', 'up_proj', 'down_proj'].map((p) => `model.layers.${i}.mlp.${p}.weight`)),
  'model.norm.weight',
  'lm_head.weight',
  'odd name/with "quotes" & spaces',
];
const index = new NameIndex(NAMES);

/** The names matched with the cursor on the first character of `needle` in `line`. */
function at(line: string, needle: string, offset = 1): string[] | null {
  const i = line.indexOf(needle);
  assert.ok(i >= 0, `'${needle}' not in '${line}'`);
  return matchTensorNames(index, line, i + offset)?.names ?? null;
}

test('a full name matches bare, inside a string, and with the cursor anywhere on it', () => {
  const full = 'model.layers.0.self_attn.q_proj.weight';
  assert.deepEqual(at(`w = sd["${full}"]`, full), [full]);
  assert.deepEqual(at(`w = sd['${full}']`, 'q_proj'), [full]);
  assert.deepEqual(at(`see ${full} here`, 'weight', 2), [full]);
});

test('extra leading parts and [N] indexing still find the full name', () => {
  assert.deepEqual(at('y = self.model.layers[1].mlp.down_proj.weight', 'down_proj'), ['model.layers.1.mlp.down_proj.weight']);
  assert.deepEqual(at('g = self.model.layers.1.mlp.down_proj.weight.grad.T', 'mlp'), ['model.layers.1.mlp.down_proj.weight']);
});

test('names without prefix or suffix match the tensors they are a run of whole parts of', () => {
  assert.deepEqual(at('# layers.0.self_attn.k_proj is interesting', 'k_proj'), ['model.layers.0.self_attn.k_proj.weight']);
  assert.deepEqual(at('head = lm_head', 'lm_head'), ['lm_head.weight']);
  // q_proj.weight is in every block: both are listed...
  assert.deepEqual(at('print("q_proj.weight")', 'q_proj'), ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.self_attn.q_proj.weight']);
  // ...unless a layer named earlier on the line picks one.
  assert.deepEqual(at('model.layers[1].self_attn.get_parameter("q_proj.weight")', '"q_proj', 2), ['model.layers.1.self_attn.q_proj.weight']);
  assert.deepEqual(at('for n in blocks: layers.0 -> v_proj.weight', 'v_proj'), ['model.layers.0.self_attn.v_proj.weight']);
});

test('parts must be whole: a prefix of a part does not match', () => {
  assert.equal(at('q_pro = 1', 'q_pro'), null);
  assert.equal(at('layers.0.self_attention.q', 'layers'), null);
  // A block the checkpoint does not have names nothing (not the same module of another block).
  assert.equal(at('w = model.layers.7.mlp.up_proj.weight', 'mlp'), null);
  assert.deepEqual(at('w = sd.layers.1.mlp.up_proj', 'mlp'), ['model.layers.1.mlp.up_proj.weight']);
  assert.equal(at('proj.weight', 'proj'), null);
});

test('a single generic part names nothing; a single unique part names its tensor', () => {
  assert.equal(at('x.weight = 1', 'weight', 0), null);
  assert.equal(at('weight', 'weight'), null);
  assert.equal(at('0', '0', 0), null);
  assert.deepEqual(at('embed_tokens', 'embed_tokens'), ['model.embed_tokens.weight']);
});

test('a string whose whole content is a name matches even with characters a word cannot hold', () => {
  const odd = 'odd name/with "quotes" & spaces';
  const line = `x = {'${odd}': 1}`;
  assert.deepEqual(matchTensorNames(index, line, line.indexOf('name'))?.names, [odd]);
});

test('the span covers the dotted word (or the string) the names were found in', () => {
  const line = 'y = self.model.layers[1].mlp.down_proj.weight + 1';
  const m = matchTensorNames(index, line, line.indexOf('mlp'));
  assert.deepEqual(m?.span, { start: 4, end: line.indexOf(' + 1') });
  const c = nameAtCursor('a = "lm_head.weight"', 8);
  assert.equal(c.quoted, 'lm_head.weight');
  assert.deepEqual(c.quotedSpan, { start: 5, end: 19 });
});

test('no match outside words, past the end of the line, or in an empty index', () => {
  assert.equal(matchTensorNames(index, 'a  =  b', 2), null);
  assert.equal(matchTensorNames(index, 'lm_head', 50), null);
  assert.equal(matchTensorNames(new NameIndex([]), 'lm_head.weight', 3), null);
});
