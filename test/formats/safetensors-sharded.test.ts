// Sharded checkpoints: the sharded writer round trip, shard order, and index/shard mismatches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensorsCheckpoint } from '../../server/src/formats/safetensors/sharded.ts';
import { writeShardedSafetensors } from '../../server/src/formats/safetensors/shardedWriter.ts';
import { writeSafetensors, type SafetensorsEntry } from '../../server/src/formats/safetensors/writer.ts';
import { readRange } from '../../server/src/formats/tensorData.ts';
import { FormatError } from '../../server/src/formats/types.ts';
import { fileTempDir } from '../helpers/tempDir.ts';

const tmp = fileTempDir();

const FIXTURE = 'test/fixtures/tiny-llama-bf16/checkpoint-200';
const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';

/** A fresh directory with the given files (contents as bytes/strings) and copies of fixture shards. */
async function dir(name: string, files: Record<string, string | Uint8Array> = {}, fixtureShards = true): Promise<string> {
  const d = join(tmp.dir, name);
  await mkdir(d);
  if (fixtureShards) for (const s of [SHARD1, SHARD2]) await copyFile(join(FIXTURE, s), join(d, s));
  for (const [n, c] of Object.entries(files)) await tmp.put(`${name}/${n}`, c);
  return d;
}

const fixtureIndex = async () => JSON.parse(await readFile(join(FIXTURE, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
const index = (weightMap: Record<string, string>) => JSON.stringify({ metadata: { total_size: 1 }, weight_map: weightMap });

async function expectError(path: string, ...fragments: string[]): Promise<void> {
  await assert.rejects(openSafetensorsCheckpoint(path), (e: unknown) => {
    assert.ok(e instanceof FormatError, String(e));
    for (const f of fragments) assert.ok(e.message.includes(f), `message lacks "${f}": ${e.message}`);
    return true;
  });
}

test('sharded writer: shards split by size, index last, read back in order byte for byte', async () => {
  const out = await dir('written', {}, false);
  const entries: SafetensorsEntry[] = Array.from({ length: 7 }, (_, i) => ({
    name: `layer.${i}.weight`, dtype: 'F32', shape: [i + 1, 4], data: () => [new Uint8Array(16 * (i + 1)).fill(i + 1)],
  }));
  const written = await writeShardedSafetensors(out, entries, { maxShardBytes: 200, metadata: { format: 'pt' } });
  // 16, 32, 48, 64 | 80, 96 | 112 bytes: a shard closes before it would pass 200.
  assert.deepEqual(written.files.map((f) => f.slice(out.length + 1)), ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
  assert.equal(written.totalSize, 448);
  const json = JSON.parse(await readFile(written.index, 'utf8'));
  assert.deepEqual(json.metadata, { total_size: 448 });
  assert.deepEqual(Object.values(json.weight_map), [1, 1, 1, 1, 2, 2, 3].map((k) => `model-0000${k}-of-00003.safetensors`));
  const ck = await openSafetensorsCheckpoint(out);
  assert.equal(ck.format, 'safetensors-sharded');
  assert.deepEqual(ck.metadata, { format: 'pt' });
  assert.deepEqual(ck.files, written.files);
  assert.deepEqual(ck.tensors.map((t) => t.name), entries.map((e) => e.name));
  for (const [i, t] of ck.tensors.entries()) assert.deepEqual(await readRange(t.file, t.offset, t.byteLength), new Uint8Array(16 * (i + 1)).fill(i + 1));
});

test('an index with sorted keys (as transformers writes it) still yields parameter order', async () => {
  const { weight_map } = await fixtureIndex();
  const sorted = Object.fromEntries(Object.entries(weight_map).sort(([a], [b]) => a.localeCompare(b)));
  const d = await dir('sorted', { 'model.safetensors.index.json': index(sorted) });
  const ck = await openSafetensorsCheckpoint(d);
  assert.equal(Object.keys(sorted)[0], 'lm_head.weight');
  assert.deepEqual(ck.tensors.map((t) => t.name), Object.keys(weight_map));
});

test('index and shards must agree', async () => {
  const { weight_map } = await fixtureIndex();
  const moved = await dir('moved', { 'model.safetensors.index.json': index({ ...weight_map, 'model.norm.weight': SHARD1 }) });
  await expectError(moved, 'model.safetensors.index.json', "tensor 'model.norm.weight'", `places this tensor in ${SHARD1}, which has no such tensor; it is in`);
  const extra = await dir('extra', { 'model.safetensors.index.json': index({ ...weight_map, 'ghost.weight': SHARD2 }) });
  await expectError(extra, "tensor 'ghost.weight'", `places this tensor in ${SHARD2}, which has no such tensor`);
  const { 'lm_head.weight': _dropped, ...fewer } = weight_map;
  const unlisted = await dir('unlisted', { 'model.safetensors.index.json': index(fewer) });
  await expectError(unlisted, SHARD2, "tensor 'lm_head.weight'", 'byte 132352', 'does not list in weight_map');
  const missing = await dir('missing', { 'model.safetensors.index.json': index({ ...weight_map, 'x.weight': 'model-00003-of-00003.safetensors' }) });
  await expectError(missing, 'model-00003-of-00003.safetensors: no such file');
  const escape = await dir('escape', { 'model.safetensors.index.json': index({ ...weight_map, 'x.weight': '../secret.safetensors' }) });
  await expectError(escape, "tensor 'x.weight'", 'weight_map value "../secret.safetensors" is not a file name beside the index');
  await expectError(await dir('notjson', { 'model.safetensors.index.json': '{"weight_map": ' }), 'index is not valid UTF-8 JSON');
  await expectError(await dir('nomap', { 'model.safetensors.index.json': '{"weights": {}}' }), 'index has no "weight_map" object');
});

test('a tensor in two shards is an error', async () => {
  const d = await dir('dup', {}, false);
  const w = (name: string): SafetensorsEntry => ({ name, dtype: 'U8', shape: [1], data: new Uint8Array(1) });
  await writeSafetensors(join(d, 'a.safetensors'), [w('x'), w('y')]);
  await writeSafetensors(join(d, 'b.safetensors'), [w('y')]);
  await tmp.put('dup/m.safetensors.index.json', index({ x: 'a.safetensors', y: 'b.safetensors' }));
  await expectError(d, 'b.safetensors', "tensor 'y'", `tensor is in two shards: ${join(d, 'a.safetensors')} and this one`);
});

test('directories: standard names first, a single candidate otherwise, never a guess', async () => {
  const w: SafetensorsEntry[] = [{ name: 'x', dtype: 'U8', shape: [1], data: new Uint8Array(1) }];
  const single = await dir('single', {}, false);
  await writeSafetensors(join(single, 'adapter.safetensors'), w);
  assert.deepEqual((await openSafetensorsCheckpoint(single)).files, [join(single, 'adapter.safetensors')]);
  const both = await dir('both', {}, false);
  await writeSafetensors(join(both, 'model.safetensors'), w);
  await writeSafetensors(join(both, 'other.safetensors'), w);
  assert.deepEqual((await openSafetensorsCheckpoint(both)).files, [join(both, 'model.safetensors')]);
  const two = await dir('two', {}, false);
  await writeSafetensors(join(two, 'a.safetensors'), w);
  await writeSafetensors(join(two, 'b.safetensors'), w);
  await expectError(two, 'several .safetensors files and no model.safetensors.index.json, cannot choose: a.safetensors, b.safetensors');
  await expectError(await dir('empty', {}, false), 'directory holds no .safetensors file or shard index');
  await expectError(join(tmp.dir, 'nowhere'), 'nowhere: no such file or directory');
});
