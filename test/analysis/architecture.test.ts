// Architecture detection from names and shape inference (hidden, layers, MLP width, vocabulary, heads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { openSafetensors } from '../../server/src/formats/safetensors/reader.ts';
import { describeArchitecture, detectArchitecture } from '../../server/src/analysis/architecture.ts';
import { headHintsFromConfig } from '../../server/src/analysis/architectureHeads.ts';
import { groupLayers } from '../../server/src/analysis/layers.ts';
import { bertBaseTensors, gpt2SmallTensors, llamaTensors, pythia70mTensors, vitTensors } from './structuredSyntheticModels.ts';

const FIXTURE = resolve('test/fixtures/tiny-llama/checkpoint-200/model.safetensors');
const fixtureTensors = async () => (await openSafetensors(FIXTURE)).tensors;

test('tiny-llama fixture: llama with high confidence; shapes; heads from hints, config or the default', async () => {
  const tensors = await fixtureTensors();
  const byHint = describeArchitecture(tensors, { hints: { numHeads: 4 } });
  assert.equal(byHint.family, 'llama');
  assert.equal(byHint.confidence, 'high');
  assert.equal(byHint.evidence, 'LLaMA/Mistral/Qwen-style: all 2 blocks hold self_attn.q_proj, self_attn.k_proj, self_attn.v_proj, self_attn.o_proj, mlp.gate_proj, mlp.up_proj, mlp.down_proj');
  assert.deepEqual(byHint.shape, {
    numLayers: 2, hiddenSize: 64, mlpWidth: 256, vocabSize: 256, numHeads: 4, numKvHeads: 4, headDim: 16, headSource: 'hint',
  });
  const byConfig = describeArchitecture(tensors, { config: { num_attention_heads: 4, num_key_value_heads: 4, hidden_size: 64 } });
  assert.deepEqual([byConfig.shape.numHeads, byConfig.shape.headDim, byConfig.shape.headSource], [4, 16, 'config']);
  // Hints replace config.json as a whole (its head count is not mixed with a hinted head_dim).
  const both = describeArchitecture(tensors, { config: { num_attention_heads: 4 }, hints: { headDim: 32 } });
  assert.deepEqual([both.shape.numHeads, both.shape.numKvHeads, both.shape.headSource], [2, 2, 'hint']);
  // Nothing said: 128 does not divide 64, so the default head_dim is 64, i.e. one head (the fixture really has 4).
  const byDefault = describeArchitecture(tensors);
  assert.deepEqual([byDefault.shape.numHeads, byDefault.shape.headDim, byDefault.shape.headSource], [1, 64, 'default']);
});

test('head hints that contradict the shapes are rejected with the tensor named', async () => {
  const tensors = await fixtureTensors();
  assert.throws(() => describeArchitecture(tensors, { hints: { numHeads: 5 } }),
    /model\.layers\.0\.self_attn\.q_proj\.weight has 64 rows, not divisible into 5 heads \(from the given hints\)/);
  assert.throws(() => describeArchitecture(tensors, { config: { num_attention_heads: 4, num_key_value_heads: 2 } }),
    /model\.layers\.0\.self_attn\.k_proj\.weight has 64 rows = 4 KV heads of head_dim 16, not 2 \(from config\.json\)/);
  assert.throws(() => describeArchitecture(tensors, { hints: { numHeads: 4, headDim: 32 } }), /4 heads of head_dim 32 would need 128/);
  assert.throws(() => describeArchitecture(tensors, { hints: { headDim: 0 } }), /hint headDim must be a positive integer, got 0/);
  assert.throws(() => describeArchitecture(tensors, { config: { num_attention_heads: '4' } }), /config\.json: num_attention_heads must be a positive integer, got "4"/);
});

test('config.json keys of several families; null and absent keys are skipped', () => {
  assert.deepEqual(headHintsFromConfig({ num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128 }), { numHeads: 32, numKvHeads: 8, headDim: 128 });
  assert.deepEqual(headHintsFromConfig({ n_head: 12, n_embd: 768 }), { numHeads: 12 });
  assert.deepEqual(headHintsFromConfig({ num_attention_heads: 16, num_key_value_heads: null }), { numHeads: 16 });
  assert.deepEqual(headHintsFromConfig({}), {});
});

test('Mistral-style GQA: the default head_dim 128 gives 8 query heads and 2 KV heads', () => {
  const model = describeArchitecture(llamaTensors({ layers: 3, hidden: 1024, q: 1024, kv: 256, mlp: 2816, vocab: 32000 }));
  assert.equal(model.family, 'llama');
  assert.deepEqual(model.shape, {
    numLayers: 3, hiddenSize: 1024, mlpWidth: 2816, vocabSize: 32000, numHeads: 8, numKvHeads: 2, headDim: 128, headSource: 'default',
  });
  // Real Mistral-7B sizes with its config.json: 32 heads, 8 KV heads.
  const mistral = describeArchitecture(llamaTensors({ layers: 1, hidden: 4096, q: 4096, kv: 1024, mlp: 14336, vocab: 32000 }),
    { config: { num_attention_heads: 32, num_key_value_heads: 8 } });
  assert.deepEqual([mistral.shape.numHeads, mistral.shape.numKvHeads, mistral.shape.headDim, mistral.shape.mlpWidth], [32, 8, 128, 14336]);
  // Query width may differ from hidden (Qwen3-0.6B: hidden 1024, 16 heads of head_dim 128).
  const qwen3 = describeArchitecture(llamaTensors({ layers: 1, hidden: 1024, q: 2048, kv: 1024, mlp: 3072, vocab: 151936 }),
    { config: { num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128 } });
  assert.deepEqual([qwen3.shape.hiddenSize, qwen3.shape.numHeads, qwen3.shape.numKvHeads, qwen3.shape.headDim], [1024, 16, 8, 128]);
  // Uneven sharing is impossible: 3 KV heads of 128 cannot serve 8 query heads.
  assert.throws(() => describeArchitecture(llamaTensors({ layers: 1, hidden: 1024, q: 1024, kv: 384, mlp: 64, vocab: 8 }), { hints: { headDim: 128 } }),
    /8 query heads cannot share 3 KV heads evenly/);
});

test('GPT-NeoX, GPT-2 and BERT at their published sizes', () => {
  const neox = describeArchitecture(pythia70mTensors());
  assert.deepEqual([neox.family, neox.confidence], ['gpt-neox', 'high']);
  assert.match(neox.evidence, /^GPT-NeoX: all 6 blocks hold attention\.query_key_value, attention\.dense, mlp\.dense_h_to_4h, mlp\.dense_4h_to_h$/);
  assert.deepEqual(neox.shape, { numLayers: 6, hiddenSize: 512, mlpWidth: 2048, vocabSize: 50304, numHeads: 8, numKvHeads: 8, headDim: 64, headSource: 'default' });

  const gpt2 = describeArchitecture(gpt2SmallTensors());
  assert.deepEqual([gpt2.family, gpt2.confidence], ['gpt2', 'high']);
  assert.deepEqual(gpt2.shape, { numLayers: 12, hiddenSize: 768, mlpWidth: 3072, vocabSize: 50257, numHeads: 12, numKvHeads: 12, headDim: 64, headSource: 'default' });

  const bert = describeArchitecture(bertBaseTensors(), { config: { num_attention_heads: 12 } });
  assert.deepEqual([bert.family, bert.confidence], ['bert', 'high']);
  assert.deepEqual(bert.shape, { numLayers: 12, hiddenSize: 768, mlpWidth: 3072, vocabSize: 30522, numHeads: 12, numKvHeads: 12, headDim: 64, headSource: 'config' });
});

test('generic fallbacks: unknown blocks, a mixture of experts, no blocks at all; partial matches are medium', () => {
  const vit = describeArchitecture(vitTensors());
  assert.deepEqual([vit.family, vit.confidence, vit.evidence], ['generic', 'low', '4 numbered blocks match no known naming']);
  assert.deepEqual(vit.shape, { numLayers: 4, hiddenSize: null, mlpWidth: null, vocabSize: null, numHeads: null, numKvHeads: null, headDim: null, headSource: null });

  const attention = ['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((m) => ({ name: `model.layers.0.self_attn.${m}.weight`, shape: [64, 64] }));
  const moe = [...attention, { name: 'model.layers.0.block_sparse_moe.experts.0.w1.weight', shape: [128, 64] }];
  assert.deepEqual(detectArchitecture(groupLayers(moe)), {
    family: 'generic', confidence: 'low',
    evidence: '1 numbered blocks match no known naming; closest is LLaMA/Mistral/Qwen-style, missing mlp.gate_proj, mlp.up_proj, mlp.down_proj',
  });

  assert.deepEqual(detectArchitecture(groupLayers([{ name: 'fc.weight', shape: [2, 2] }])),
    { family: 'generic', confidence: 'low', evidence: 'no numbered blocks in the tensor names' });

  // A checkpoint whose last block lost its MLP still reads as LLaMA, with medium confidence.
  const truncated = llamaTensors({ layers: 3, hidden: 64, q: 64, kv: 64, mlp: 128, vocab: 16 }).filter((t) => !t.name.startsWith('model.layers.2.mlp.'));
  const partial = describeArchitecture(truncated);
  assert.deepEqual([partial.family, partial.confidence], ['llama', 'medium']);
  assert.match(partial.evidence, /: 2 of 3 blocks hold /);
});

test('a projection that is not 2-D is reported with its name and shape', () => {
  const tensors = llamaTensors({ layers: 1, hidden: 64, q: 64, kv: 64, mlp: 128, vocab: 16 })
    .map((t) => (t.name.endsWith('q_proj.weight') ? { ...t, shape: [64, 8, 8] } : t));
  assert.throws(() => describeArchitecture(tensors), /model\.layers\.0\.self_attn\.q_proj\.weight: expected a 2-D weight, got shape \[64, 8, 8\]/);
});
