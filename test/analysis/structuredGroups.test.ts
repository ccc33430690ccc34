// Structured groups: exact member slices for LLaMA (MHA, GQA, MQA, Qwen2 biases), GPT-NeoX, GPT-2 and BERT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { openSafetensors } from '../../server/src/formats/safetensors/reader.ts';
import { describeArchitecture } from '../../server/src/analysis/architecture.ts';
import type { HeadHints } from '../../server/src/analysis/architectureHeads.ts';
import type { NamedShape } from '../../server/src/analysis/layers.ts';
import { groupMembers, structuredGroups, type GroupSet, type StridedSlice } from '../../server/src/analysis/structuredGroups.ts';
import { bertBaseTensors, gpt2SmallTensors, llamaTensors, pythia70mTensors, vitTensors } from './structuredSyntheticModels.ts';

const FIXTURE = resolve('test/fixtures/tiny-llama/checkpoint-200/model.safetensors');
const groupsOf = (tensors: NamedShape[], hints?: HeadHints) => structuredGroups(describeArchitecture(tensors, hints ? { hints } : {}));
const slice = (tensor: string, view: [number, number], axis: 0 | 1, offset: number, width: number): StridedSlice => ({ tensor, view, axis, offset, width });
const members = (set: GroupSet, i: number) => groupMembers(set, i).map((m) => `${m.tensor} ${m.axis === 0 ? 'rows' : 'cols'} ${m.start}..${m.end}`);

test('tiny-llama fixture, 4 heads: attention heads and MLP channels of every block', async () => {
  const groups = groupsOf((await openSafetensors(FIXTURE)).tensors, { numHeads: 4 });
  assert.deepEqual(groups.map((g) => [g.layer, g.index, g.sets.map((s) => `${s.kind} x${s.count}`)]), [
    ['layers.0', 0, ['attention_head x4', 'mlp_channel x256']],
    ['layers.1', 1, ['attention_head x4', 'mlp_channel x256']],
  ]);
  const p = 'model.layers.1.';
  const [heads, channels] = groups[1].sets;
  assert.deepEqual(heads.members, [
    slice(`${p}self_attn.q_proj.weight`, [64, 64], 0, 0, 16),
    slice(`${p}self_attn.k_proj.weight`, [64, 64], 0, 0, 16),
    slice(`${p}self_attn.v_proj.weight`, [64, 64], 0, 0, 16),
    slice(`${p}self_attn.o_proj.weight`, [64, 64], 1, 0, 16),
  ]);
  assert.deepEqual(members(heads, 2), [
    `${p}self_attn.q_proj.weight rows 32..48`, `${p}self_attn.k_proj.weight rows 32..48`,
    `${p}self_attn.v_proj.weight rows 32..48`, `${p}self_attn.o_proj.weight cols 32..48`,
  ]);
  assert.deepEqual(channels.members, [
    slice(`${p}mlp.gate_proj.weight`, [256, 64], 0, 0, 1),
    slice(`${p}mlp.up_proj.weight`, [256, 64], 0, 0, 1),
    slice(`${p}mlp.down_proj.weight`, [64, 256], 1, 0, 1),
  ]);
  assert.deepEqual(members(channels, 255), [
    `${p}mlp.gate_proj.weight rows 255..256`, `${p}mlp.up_proj.weight rows 255..256`, `${p}mlp.down_proj.weight cols 255..256`,
  ]);
  assert.throws(() => groupMembers(channels, 256), /mlp_channel group 256 does not exist \(the set has 256\)/);
});

test('GQA (k_proj [256, 1024], head_dim 128): 2 KV groups of 4 query heads each, and 8 query heads', () => {
  const [block] = groupsOf(llamaTensors({ layers: 1, hidden: 1024, q: 1024, kv: 256, mlp: 2816, vocab: 32000 }));
  const p = 'model.layers.0.self_attn.';
  const [kvGroups, queryHeads, channels] = block.sets;
  assert.deepEqual([kvGroups.kind, kvGroups.count, queryHeads.kind, queryHeads.count, channels.kind, channels.count],
    ['kv_group', 2, 'query_head', 8, 'mlp_channel', 2816]);
  assert.deepEqual(kvGroups.members, [
    slice(`${p}q_proj.weight`, [1024, 1024], 0, 0, 512),
    slice(`${p}k_proj.weight`, [256, 1024], 0, 0, 128),
    slice(`${p}v_proj.weight`, [256, 1024], 0, 0, 128),
    slice(`${p}o_proj.weight`, [1024, 1024], 1, 0, 512),
  ]);
  // KV head 1 serves query heads 4..7 (repeat_kv: query head h reads KV head floor(h / 4)).
  assert.deepEqual(members(kvGroups, 1), [
    `${p}q_proj.weight rows 512..1024`, `${p}k_proj.weight rows 128..256`, `${p}v_proj.weight rows 128..256`, `${p}o_proj.weight cols 512..1024`,
  ]);
  assert.deepEqual(members(queryHeads, 5), [`${p}q_proj.weight rows 640..768`, `${p}o_proj.weight cols 640..768`]);
});

test('Qwen2 biases join the output slices; MQA makes a single KV group', () => {
  const [qwen] = groupsOf(llamaTensors({ layers: 1, hidden: 256, q: 256, kv: 128, mlp: 512, vocab: 100, qkvBias: true }), { headDim: 64 });
  const p = 'model.layers.0.self_attn.';
  assert.deepEqual(members(qwen.sets[0], 1), [
    `${p}q_proj.weight rows 128..256`, `${p}q_proj.bias rows 128..256`,
    `${p}k_proj.weight rows 64..128`, `${p}k_proj.bias rows 64..128`,
    `${p}v_proj.weight rows 64..128`, `${p}v_proj.bias rows 64..128`,
    `${p}o_proj.weight cols 128..256`,
  ]);
  assert.deepEqual(qwen.sets[0].members[1], slice(`${p}q_proj.bias`, [256, 1], 0, 0, 128), '1-D bias viewed as [n, 1]');

  const [mqa] = groupsOf(llamaTensors({ layers: 1, hidden: 256, q: 256, kv: 64, mlp: 512, vocab: 100 }), { headDim: 64 });
  assert.deepEqual(mqa.sets.map((s) => [s.kind, s.count]), [['kv_group', 1], ['query_head', 4], ['mlp_channel', 512]]);
  assert.deepEqual(members(mqa.sets[0], 0), [`${p}q_proj.weight rows 0..256`, `${p}k_proj.weight rows 0..64`, `${p}v_proj.weight rows 0..64`, `${p}o_proj.weight cols 0..256`]);
});

test('GPT-NeoX (Pythia-70m): query_key_value rows are [heads, 3, head_dim], so a head owns 192 consecutive rows', () => {
  const groups = groupsOf(pythia70mTensors());
  assert.equal(groups.length, 6);
  const p = 'gpt_neox.layers.3.';
  const [heads, channels] = groups[3].sets;
  assert.deepEqual([heads.kind, heads.count, channels.kind, channels.count], ['attention_head', 8, 'mlp_channel', 2048]);
  assert.deepEqual(heads.members, [
    slice(`${p}attention.query_key_value.weight`, [1536, 512], 0, 0, 192),
    slice(`${p}attention.query_key_value.bias`, [1536, 1], 0, 0, 192),
    slice(`${p}attention.dense.weight`, [512, 512], 1, 0, 64),
  ]);
  assert.deepEqual(members(heads, 7), [
    `${p}attention.query_key_value.weight rows 1344..1536`, `${p}attention.query_key_value.bias rows 1344..1536`, `${p}attention.dense.weight cols 448..512`,
  ]);
  assert.deepEqual(members(channels, 9), [
    `${p}mlp.dense_h_to_4h.weight rows 9..10`, `${p}mlp.dense_h_to_4h.bias rows 9..10`, `${p}mlp.dense_4h_to_h.weight cols 9..10`,
  ]);
});

test('GPT-2 Conv1D ([in, out]): a head is three column ranges of c_attn and a row range of c_proj', () => {
  const groups = groupsOf(gpt2SmallTensors());
  assert.equal(groups.length, 12);
  const p = 'transformer.h.0.';
  const [heads, channels] = groups[0].sets;
  assert.deepEqual([heads.kind, heads.count, channels.count], ['attention_head', 12, 3072]);
  assert.deepEqual(members(heads, 1), [
    `${p}attn.c_attn.weight cols 64..128`, `${p}attn.c_attn.bias rows 64..128`,
    `${p}attn.c_attn.weight cols 832..896`, `${p}attn.c_attn.bias rows 832..896`,
    `${p}attn.c_attn.weight cols 1600..1664`, `${p}attn.c_attn.bias rows 1600..1664`,
    `${p}attn.c_proj.weight rows 64..128`,
  ]);
  assert.deepEqual(members(channels, 3071), [
    `${p}mlp.c_fc.weight cols 3071..3072`, `${p}mlp.c_fc.bias rows 3071..3072`, `${p}mlp.c_proj.weight rows 3071..3072`,
  ]);
});

test('BERT: heads from query/key/value rows and attention.output.dense columns; channels from intermediate/output', () => {
  const groups = groupsOf(bertBaseTensors());
  const p = 'bert.encoder.layer.11.';
  const [heads, channels] = groups[11].sets;
  assert.deepEqual(members(heads, 11), [
    ...['query', 'key', 'value'].flatMap((m) => [`${p}attention.self.${m}.weight rows 704..768`, `${p}attention.self.${m}.bias rows 704..768`]),
    `${p}attention.output.dense.weight cols 704..768`,
  ]);
  assert.deepEqual(members(channels, 0), [
    `${p}intermediate.dense.weight rows 0..1`, `${p}intermediate.dense.bias rows 0..1`, `${p}output.dense.weight cols 0..1`,
  ]);
});

test('no head split known: MLP channels only; generic models have no groups', () => {
  const small = pythia70mTensors().map((t) => ({ ...t, shape: t.shape.map((d) => (d === 512 ? 40 : d === 1536 ? 120 : d === 2048 ? 160 : d)) }));
  const model = describeArchitecture(small);
  assert.equal(model.shape.headDim, null, 'neither 64 divides 40');
  assert.deepEqual(structuredGroups(model)[0].sets.map((s) => [s.kind, s.count]), [['mlp_channel', 160]]);
  assert.deepEqual(groupsOf(vitTensors()), []);
});

test('coupled tensors that disagree in width are rejected with the tensor named', () => {
  const tensors = llamaTensors({ layers: 1, hidden: 64, q: 64, kv: 64, mlp: 128, vocab: 16 });
  const wideO = tensors.map((t) => (t.name.endsWith('o_proj.weight') ? { ...t, shape: [64, 80] } : t));
  assert.throws(() => groupsOf(wideO, { numHeads: 4 }),
    /model\.layers\.0\.self_attn\.o_proj\.weight: 4 attention_head groups cover columns 0\.\.64, but its 2-D view \[64, 80\] has 80/);
  const shortDown = tensors.map((t) => (t.name.endsWith('down_proj.weight') ? { ...t, shape: [64, 100] } : t));
  assert.throws(() => groupsOf(shortDown, { numHeads: 4 }), /down_proj\.weight: 128 mlp_channel groups cover columns 0\.\.128, but its 2-D view \[64, 100\] has 100/);
});
