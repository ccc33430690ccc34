// Reading the real fixtures: layout (names, dtypes, shapes, byte spans) and values against PyTorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { openSafetensors } from '../../server/src/formats/safetensors/reader.ts';
import { openSafetensorsCheckpoint } from '../../server/src/formats/safetensors/sharded.ts';
import { readTensorFloat32 } from '../../server/src/formats/tensorData.ts';
import type { TensorRef } from '../../server/src/formats/types.ts';
import { assertStatsEqual, loadReference, tensorStats } from '../helpers/referenceStats.ts';

const F32_FILE = resolve('test/fixtures/tiny-llama/checkpoint-200/model.safetensors');
const BF16_DIR = resolve('test/fixtures/tiny-llama-bf16/checkpoint-200');
const shard = (k: number) => `${BF16_DIR}/model-0000${k}-of-00002.safetensors`;

// Read with /usr/bin/python3 (struct + json) from the headers. Columns: name, shape,
// absolute [begin, end) in the F32 file, BF16 shard number, absolute [begin, end) in that shard.
const LAYOUT: [string, number[], number, number, number, number, number][] = [
  ['model.embed_tokens.weight', [256, 64], 2144, 67680, 1, 1152, 33920],
  ['model.layers.0.input_layernorm.weight', [64], 67680, 67936, 1, 33920, 34048],
  ['model.layers.0.self_attn.q_proj.weight', [64, 64], 67936, 84320, 1, 34048, 42240],
  ['model.layers.0.self_attn.k_proj.weight', [64, 64], 84320, 100704, 1, 42240, 50432],
  ['model.layers.0.self_attn.v_proj.weight', [64, 64], 100704, 117088, 1, 50432, 58624],
  ['model.layers.0.self_attn.o_proj.weight', [64, 64], 117088, 133472, 1, 58624, 66816],
  ['model.layers.0.post_attention_layernorm.weight', [64], 133472, 133728, 1, 66816, 66944],
  ['model.layers.0.mlp.gate_proj.weight', [256, 64], 133728, 199264, 1, 66944, 99712],
  ['model.layers.0.mlp.up_proj.weight', [256, 64], 199264, 264800, 1, 99712, 132480],
  ['model.layers.0.mlp.down_proj.weight', [64, 256], 264800, 330336, 1, 132480, 165248],
  ['model.layers.1.input_layernorm.weight', [64], 330336, 330592, 1, 165248, 165376],
  ['model.layers.1.self_attn.q_proj.weight', [64, 64], 330592, 346976, 2, 1024, 9216],
  ['model.layers.1.self_attn.k_proj.weight', [64, 64], 346976, 363360, 2, 9216, 17408],
  ['model.layers.1.self_attn.v_proj.weight', [64, 64], 363360, 379744, 2, 17408, 25600],
  ['model.layers.1.self_attn.o_proj.weight', [64, 64], 379744, 396128, 2, 25600, 33792],
  ['model.layers.1.post_attention_layernorm.weight', [64], 396128, 396384, 2, 33792, 33920],
  ['model.layers.1.mlp.gate_proj.weight', [256, 64], 396384, 461920, 2, 33920, 66688],
  ['model.layers.1.mlp.up_proj.weight', [256, 64], 461920, 527456, 2, 66688, 99456],
  ['model.layers.1.mlp.down_proj.weight', [64, 256], 527456, 592992, 2, 99456, 132224],
  ['model.norm.weight', [64], 592992, 593248, 2, 132224, 132352],
  ['lm_head.weight', [256, 64], 593248, 658784, 2, 132352, 165120],
];

const brief = (t: TensorRef) => [t.name, t.dtype, t.shape, t.numel, t.file, t.offset, t.offset + t.byteLength];
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

test('F32 single file: header, metadata and every tensor span', async () => {
  const f = await openSafetensors(F32_FILE);
  assert.equal(f.headerLength, 2136);
  assert.equal(f.dataOffset, 2144);
  assert.equal(f.fileSize, 658784);
  assert.deepEqual(f.metadata, { format: 'pt' });
  assert.deepEqual(f.tensors.map(brief), LAYOUT.map(([name, shape, b, e]) => [name, 'F32', shape, numel(shape), F32_FILE, b, e]));
});

test('BF16 shards: index, directory and shard file all resolve; order is parameter order', async () => {
  const expected = LAYOUT.map(([name, shape, , , k, b, e]) => [name, 'BF16', shape, numel(shape), shard(k), b, e]);
  for (const path of [BF16_DIR, `${BF16_DIR}/model.safetensors.index.json`]) {
    const ck = await openSafetensorsCheckpoint(path);
    assert.equal(ck.format, 'safetensors-sharded');
    assert.equal(ck.path, resolve(path));
    assert.deepEqual(ck.files, [shard(1), shard(2)]);
    assert.deepEqual(ck.metadata, { format: 'pt' });
    assert.deepEqual(ck.indexMetadata, { total_size: 328320 });
    assert.deepEqual(ck.tensors.map(brief), expected);
  }
  const one = await openSafetensorsCheckpoint(shard(2));
  assert.equal(one.format, 'safetensors');
  assert.deepEqual(one.tensors.map(brief), expected.slice(11));
  const single = await openSafetensorsCheckpoint(resolve(F32_FILE, '..'));
  assert.deepEqual([single.format, single.files, single.tensors.length], ['safetensors', [F32_FILE], 21]);
});

for (const [label, path, ref] of [
  ['F32', F32_FILE, 'tiny-llama-checkpoint-200'],
  ['BF16 sharded', BF16_DIR, 'tiny-llama-bf16-checkpoint-200'],
] as const) {
  test(`${label} values agree with PyTorch's statistics`, async () => {
    const reference = loadReference(ref);
    const { tensors } = await openSafetensorsCheckpoint(path);
    assert.deepEqual(tensors.map((t) => t.name).sort(), Object.keys(reference.tensors).sort());
    for (const t of tensors) assertStatsEqual(tensorStats(await readTensorFloat32(t)), reference.tensors[t.name]!.weight, t.name);
  });
}
