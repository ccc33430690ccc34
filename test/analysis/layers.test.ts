// Layer grouping from tensor names: the real fixture, known families, generic blocks, several stacks,
// and names without any block index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { openSafetensors } from '../../server/src/formats/safetensors/reader.ts';
import { groupLayers, localName, type Layer, type NamedShape } from '../../server/src/analysis/layers.ts';
import { blockPosition, namedRole } from '../../server/src/analysis/layersNaming.ts';
import { bertBaseTensors, gpt2SmallTensors, pythia70mTensors, vitTensors } from './structuredSyntheticModels.ts';

const FIXTURE = resolve('test/fixtures/tiny-llama/checkpoint-200/model.safetensors');
const named = (...names: string[]): NamedShape[] => names.map((name) => ({ name, shape: [1] }));
/** `id: name, name, ...` per layer, for compact exact comparisons. */
const summary = (layers: Layer[]) => layers.map((l) => `${l.id}: ${l.tensors.map((t) => t.name).join(', ')}`);

test('tiny-llama fixture: embeddings, two blocks in order, final norm, head', async () => {
  const { tensors } = await openSafetensors(FIXTURE);
  const layers = groupLayers(tensors);
  assert.deepEqual(layers.map((l) => [l.id, l.kind, l.index, l.stack, l.prefix, l.tensors.length]), [
    ['embeddings', 'embeddings', null, null, null, 1],
    ['layers.0', 'block', 0, 'model.layers', 'model.layers.0.', 9],
    ['layers.1', 'block', 1, 'model.layers', 'model.layers.1.', 9],
    ['final_norm', 'final_norm', null, null, null, 1],
    ['head', 'head', null, null, null, 1],
  ]);
  assert.deepEqual(layers[1].tensors.map((t) => localName(layers[1], t)), [
    'input_layernorm.weight', 'self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight',
    'self_attn.o_proj.weight', 'post_attention_layernorm.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight',
    'mlp.down_proj.weight',
  ]);
  assert.equal(layers[0].tensors[0].name, 'model.embed_tokens.weight');
  assert.equal(layers[3].tensors[0].name, 'model.norm.weight');
  assert.equal(layers[4].tensors[0].name, 'lm_head.weight');
  // Every tensor lands in exactly one layer, and the fixture's objects are passed through untouched.
  assert.equal(layers.reduce((n, l) => n + l.tensors.length, 0), tensors.length);
  assert.equal(layers[1].tensors[1], tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight'));
});

test('GPT-NeoX, GPT-2 (with and without the transformer. prefix) and BERT place every tensor', () => {
  const neox = groupLayers(pythia70mTensors());
  assert.deepEqual(neox.map((l) => l.id), ['embeddings', ...[0, 1, 2, 3, 4, 5].map((i) => `layers.${i}`), 'final_norm', 'head']);
  assert.deepEqual(summary([neox[0], neox[7], neox[8]]), [
    'embeddings: gpt_neox.embed_in.weight',
    'final_norm: gpt_neox.final_layer_norm.weight, gpt_neox.final_layer_norm.bias',
    'head: embed_out.weight',
  ]);
  assert.equal(neox[3].prefix, 'gpt_neox.layers.2.');
  assert.equal(neox[3].tensors.length, 13);

  for (const prefix of ['transformer.', '']) {
    const gpt2 = groupLayers(gpt2SmallTensors(prefix));
    assert.equal(gpt2.length, 14, 'embeddings, 12 blocks, final norm; the tied head is not stored');
    assert.deepEqual(summary([gpt2[0], gpt2[13]]), [
      `embeddings: ${prefix}wte.weight, ${prefix}wpe.weight`,
      `final_norm: ${prefix}ln_f.weight, ${prefix}ln_f.bias`,
    ]);
    assert.equal(gpt2[12].id, 'layers.11');
    assert.equal(gpt2[12].prefix, `${prefix}h.11.`);
  }

  const bert = groupLayers(bertBaseTensors());
  assert.deepEqual(bert.map((l) => l.kind), ['embeddings', ...Array(12).fill('block'), 'head']);
  assert.equal(bert[0].tensors.length, 5, 'word/position/token-type embeddings and the embedding LayerNorm');
  assert.equal(bert[1].prefix, 'bert.encoder.layer.0.');
  assert.deepEqual(bert[13].tensors.map((t) => t.name), [
    'bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'cls.predictions.bias', 'cls.predictions.transform.dense.weight',
    'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.decoder.weight',
  ]);
});

test('generic blocks.N: numeric order (10 after 2), and ViT extras in embeddings / final norm / head', () => {
  const layers = groupLayers(vitTensors());
  assert.deepEqual(layers.map((l) => l.id), ['embeddings', 'layers.0', 'layers.1', 'layers.2', 'layers.10', 'final_norm', 'head']);
  assert.deepEqual(summary([layers[0], layers[5], layers[6]]), [
    'embeddings: cls_token, pos_embed, patch_embed.proj.weight',
    'final_norm: norm.weight',
    'head: head.weight',
  ]);
  assert.deepEqual(layers[4].tensors.map((t) => t.name), [
    'blocks.10.norm1.weight', 'blocks.10.attn.qkv.weight', 'blocks.10.attn.proj.weight', 'blocks.10.mlp.fc1.weight', 'blocks.10.mlp.fc2.weight',
  ]);
});

test('several stacks (encoder-decoder) keep their stack in the id, in order of first appearance', () => {
  const layers = groupLayers(named(
    'shared.weight',
    'decoder.block.1.layer.0.SelfAttention.q.weight',
    'encoder.block.0.layer.0.SelfAttention.q.weight',
    'encoder.block.0.layer.1.DenseReluDense.wi.weight',
    'decoder.block.0.layer.0.SelfAttention.q.weight',
    'encoder.block.1.layer.0.SelfAttention.q.weight',
    'encoder.final_layer_norm.weight',
    'decoder.final_layer_norm.weight',
    'lm_head.weight',
  ));
  assert.deepEqual(summary(layers), [
    'embeddings: shared.weight',
    'decoder.block.0: decoder.block.0.layer.0.SelfAttention.q.weight',
    'decoder.block.1: decoder.block.1.layer.0.SelfAttention.q.weight',
    'encoder.block.0: encoder.block.0.layer.0.SelfAttention.q.weight, encoder.block.0.layer.1.DenseReluDense.wi.weight',
    'encoder.block.1: encoder.block.1.layer.0.SelfAttention.q.weight',
    'final_norm: encoder.final_layer_norm.weight, decoder.final_layer_norm.weight',
    'head: lm_head.weight',
  ]);
});

test('names without a block index go to named groups or other; empty groups are left out', () => {
  const layers = groupLayers(named('fc1.weight', 'fc1.bias', 'conv2.weight', 'lm_head.weight', 'params.3', '0.weight', 'classifier.0.weight'));
  assert.deepEqual(summary(layers), [
    'head: lm_head.weight, classifier.0.weight',
    'other: fc1.weight, fc1.bias, conv2.weight, params.3, 0.weight',
  ]);
  assert.deepEqual(groupLayers([]), []);
});

test('block positions and roles of single names', () => {
  assert.deepEqual(blockPosition('model.decoder.layers.7.self_attn.k_proj.weight'), { stack: 'model.decoder.layers', index: 7, prefix: 'model.decoder.layers.7.' });
  assert.deepEqual(blockPosition('bert.encoder.layer.11.output.dense.bias'), { stack: 'bert.encoder.layer', index: 11, prefix: 'bert.encoder.layer.11.' });
  assert.deepEqual(blockPosition('model.layers.0.block_sparse_moe.experts.3.w1.weight')?.index, 0, 'the first index is the block');
  assert.equal(blockPosition('model.layers.x1.weight'), null);
  assert.equal(blockPosition('layers.99999999999999999999.weight'), null, 'an index beyond 2^53 is not trusted');
  assert.equal(namedRole('model.embed_tokens.weight'), 'embeddings');
  assert.equal(namedRole('embed_out.weight'), 'head', 'embed_out is the output projection, not an embedding');
  assert.equal(namedRole('bert.embeddings.LayerNorm.weight'), 'embeddings', 'the outermost role wins');
  assert.equal(namedRole('cls.predictions.transform.LayerNorm.weight'), 'head');
  assert.equal(namedRole('model.norm.weight'), 'final_norm');
  assert.equal(namedRole('lm_head_extra.weight'), null, 'segments match whole, not by prefix');
});
