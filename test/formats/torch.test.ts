// torch.save checkpoints: reading the real optimizer.pt fixtures against PyTorch's numbers,
// writing them back, state dicts, and hostile or malformed archives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readRange, readTensorFloat32 } from '../../server/src/formats/tensorData.ts';
import { FormatError, type TensorRef } from '../../server/src/formats/types.ts';
import { openZip } from '../../server/src/formats/zip/zipReader.ts';
import { writeZip } from '../../server/src/formats/zip/zipWriter.ts';
import { pickle } from '../../server/src/formats/torch/pickleWriter.ts';
import { PyCall, PyGlobal, PyPersistentId, tuple, type WritableValue } from '../../server/src/formats/torch/pyValue.ts';
import { openTorchFile, readOptimizerStateDict, readTorchStateDict } from '../../server/src/formats/torch/reader.ts';
import { tensorSourceFromRef, writeTorchStateDict, type TensorSource } from '../../server/src/formats/torch/writer.ts';
import { assertStatsEqual, loadReference, tensorStats } from '../helpers/referenceStats.ts';
import { rewriteOptimizer } from '../helpers/rewriteOptimizer.ts';
import { tempDirFactory } from '../helpers/tempDir.ts';

const SETS = [
  { dir: 'test/fixtures/tiny-llama/checkpoint-200', shards: ['model.safetensors'], reference: 'tiny-llama-checkpoint-200' },
  { dir: 'test/fixtures/tiny-llama-bf16/checkpoint-200', shards: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'], reference: 'tiny-llama-bf16-checkpoint-200' },
];
const tmp = tempDirFactory('torch-test-');

/** Parameter names and shapes in header order (the optimizer's parameter order), read straight from the safetensors headers. */
function headerTensors(dir: string, shards: string[]): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [];
  for (const shard of shards) {
    const fd = openSync(resolve(dir, shard), 'r');
    try {
      const len = Buffer.alloc(8);
      readSync(fd, len, 0, 8, 0);
      const header = Buffer.alloc(Number(len.readBigUInt64LE(0)));
      readSync(fd, header, 0, header.length, 8);
      for (const [name, info] of Object.entries(JSON.parse(header.toString('utf8')) as Record<string, { shape: number[] }>)) {
        if (name !== '__metadata__') out.push([name, info.shape]);
      }
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

for (const set of SETS) {
  test(`reads ${set.dir}/optimizer.pt: 21 Adam states whose moments match PyTorch's statistics`, async () => {
    const file = resolve(set.dir, 'optimizer.pt');
    const opt = await readOptimizerStateDict(file);
    const params = headerTensors(set.dir, set.shards);
    const reference = loadReference(set.reference);
    assert.equal(params.length, 21);
    assert.deepEqual([...opt.state.keys()], params.map((_, i) => i));
    for (const [i, [name, shape]] of params.entries()) {
      const s = opt.state.get(i)!;
      assert.equal(s.step, 200);
      assert.deepEqual(Object.keys(s.tensors), ['exp_avg', 'exp_avg_sq']);
      for (const moment of ['exp_avg', 'exp_avg_sq'] as const) {
        const ref = s[moment]!;
        assert.equal(ref.name, `state.${i}.${moment}`);
        assert.equal(ref.dtype, 'F32');
        assert.equal(ref.file, file);
        assert.deepEqual(ref.shape, shape, `${name} ${moment} shape`);
        assertStatsEqual(tensorStats(await readTensorFloat32(ref)), reference.tensors[name]![moment], `${name} ${moment}`);
      }
    }
    assert.equal(opt.paramGroups.length, 1);
    const g = opt.paramGroups[0]!;
    assert.equal(g.lr, 0.003);
    assert.deepEqual(g.betas, [0.9, 0.999]);
    assert.equal(g.eps, 1e-8);
    assert.equal(g.weight_decay, 0.01);
    assert.equal(g.amsgrad, false);
    assert.deepEqual(g.params, Array.from({ length: 21 }, (_, i) => i));
  });
}

test('openTorchFile exposes the tree, the zip folder and tensor storage details', async () => {
  const f = await openTorchFile(resolve('test/fixtures/tiny-llama/checkpoint-200/optimizer.pt'));
  assert.equal(f.prefix, 'optimizer');
  assert.equal(f.tensors.length, 63);
  const [step, expAvg] = f.tensors;
  assert.deepEqual([step!.ref.name, step!.ref.shape, step!.ref.numel, step!.storageKey, step!.stride], ['state.0.step', [], 1, '0', []]);
  assert.deepEqual([expAvg!.ref.name, expAvg!.ref.shape, expAvg!.storageKey, expAvg!.storageOffset, expAvg!.stride], ['state.0.exp_avg', [256, 64], '1', 0, [64, 1]]);
  // The storage record 'optimizer/data/1' starts at the tensor's offset.
  assert.equal(expAvg!.ref.offset, f.archive.get('optimizer/data/1')!.dataOffset);
  assert.deepEqual(new Float32Array((await readRange(step!.ref.file, step!.ref.offset, 4)).buffer), new Float32Array([200]));
});

async function sameBytes(a: TensorRef, b: TensorRef): Promise<void> {
  assert.equal(a.dtype, b.dtype);
  assert.deepEqual(a.shape, b.shape);
  assert.deepEqual(await readRange(a.file, a.offset, a.byteLength), await readRange(b.file, b.offset, b.byteLength), `${a.name} bytes`);
}

test('an optimizer.pt written back reads the same, under the new file stem', async () => {
  const out = join(tmp(), 'resumed.pt');
  const original = await rewriteOptimizer(resolve('test/fixtures/tiny-llama/checkpoint-200/optimizer.pt'), out);

  const back = await readOptimizerStateDict(out);
  assert.equal(back.state.size, 21);
  for (const [i, s] of original.state) {
    const t = back.state.get(i)!;
    assert.equal(t.step, s.step);
    await sameBytes(t.exp_avg!, s.exp_avg!);
    await sameBytes(t.exp_avg_sq!, s.exp_avg_sq!);
  }
  assert.deepEqual(back.paramGroups, original.paramGroups);
  const zip = await openZip(out);
  assert.deepEqual(zip.entries.slice(0, 3).map((e) => e.name), ['resumed/data.pkl', 'resumed/byteorder', 'resumed/data/0']);
  assert.equal(zip.entries.at(-1)!.name, 'resumed/version');
  for (const e of zip.entries) assert.equal(e.dataOffset % 64, 0);
});

function bytesOf(values: number[], Kind: Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint16ArrayConstructor | Int8ArrayConstructor): Uint8Array {
  return new Uint8Array(new Kind(values).buffer);
}

test('state dicts: our writer and reader agree on every dtype, scalars, empty tensors and lazy sources', async () => {
  const dir = tmp();
  const lazy = join(dir, 'lazy.bin');
  writeFileSync(lazy, bytesOf([1, 2, 3, 4, 5, 6], Float32Array));
  const lazyRef: TensorRef = { name: 'lazy', dtype: 'F32', shape: [2, 3], numel: 6, file: lazy, offset: 0, byteLength: 24 };
  const tensors: Array<[string, TensorSource]> = [
    ['w', { dtype: 'F32', shape: [2, 2], data: bytesOf([1, -2, 3.5, 0], Float32Array) }],
    ['d', { dtype: 'F64', shape: [1], data: bytesOf([Math.PI], Float64Array) }],
    ['h', { dtype: 'BF16', shape: [2], data: bytesOf([0x3f80, 0xc000], Uint16Array) }],
    ['i', { dtype: 'I32', shape: [3], data: bytesOf([-1, 0, 7], Int32Array) }],
    ['b', { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }],
    ['c', { dtype: 'I8', shape: [1], data: bytesOf([-3], Int8Array) }],
    ['s', { dtype: 'F32', shape: [], data: bytesOf([2.5], Float32Array) }],
    ['e', { dtype: 'F32', shape: [0, 4], data: new Uint8Array(0) }],
    ['lazy', tensorSourceFromRef(lazyRef)],
  ];
  const out = join(dir, 'pytorch_model.bin');
  await writeTorchStateDict(out, tensors);
  const refs = await readTorchStateDict(out);
  assert.deepEqual(refs.map((r) => [r.name, r.dtype, r.shape]), tensors.map(([n, s]) => [n, s.dtype, s.shape]));
  assert.deepEqual(Array.from(await readTensorFloat32(refs[0]!)), [1, -2, 3.5, 0]);
  assert.deepEqual(Array.from(await readTensorFloat32(refs[2]!)), [1, -2]);
  assert.deepEqual(Array.from(await readTensorFloat32(refs[3]!)), [-1, 0, 7]);
  assert.deepEqual(Array.from(await readTensorFloat32(refs[6]!)), [2.5]);
  assert.equal(refs[7]!.byteLength, 0);
  assert.deepEqual(Array.from(await readTensorFloat32(refs[8]!)), [1, 2, 3, 4, 5, 6]);
  assert.equal((await openTorchFile(out)).prefix, 'pytorch_model');

  await assert.rejects(writeTorchStateDict(join(dir, 'f8.bin'), [['x', { dtype: 'F8_E4M3', shape: [1], data: new Uint8Array(1) }]]), /no typed storage for dtype F8_E4M3/);
  await assert.rejects(writeTorchStateDict(join(dir, 'short.bin'), [['x', { dtype: 'F32', shape: [3], data: new Uint8Array(8) }]]), /8 bytes given, shape \[3\] of F32 needs 12/);
});

// ---- hand-made archives: what torch.save would write, with one thing wrong.

const REBUILD = new PyGlobal('torch._utils', '_rebuild_tensor_v2');
const ORDERED = new PyGlobal('collections', 'OrderedDict');
function tensorCall(key: string, numel: number, offset: number, shape: number[], stride: number[]): PyCall {
  const pid = new PyPersistentId(tuple('storage', new PyGlobal('torch', 'FloatStorage'), key, 'cpu', numel));
  return new PyCall(REBUILD, [pid, offset, tuple(...shape), tuple(...stride), false, new PyCall(ORDERED, [])]);
}

async function handMade(name: string, pkl: Uint8Array, storages: Record<string, Uint8Array> = {}, prefix = 'archive'): Promise<string> {
  const file = join(tmp(), name);
  await writeZip(file, [
    { name: `${prefix}/data.pkl`, size: pkl.length, data: pkl },
    ...Object.entries(storages).map(([key, data]) => ({ name: `${prefix}/data/${key}`, size: data.length, data })),
  ]);
  return file;
}

async function rejectsTorch(file: string, re: RegExp, offset?: number): Promise<void> {
  await assert.rejects(openTorchFile(file), (e: unknown) => {
    assert.ok(e instanceof FormatError, String(e));
    assert.match(e.message, re);
    assert.ok(e.message.startsWith(file), e.message);
    if (offset !== undefined) assert.equal(e.detail.offset, offset);
    return true;
  });
}

test('views at a storage offset and any zip folder name are read; strided views are refused clearly', async () => {
  const storage = bytesOf([0, 1, 2, 3, 4, 5], Float32Array);
  const row = pickle(new Map<WritableValue, WritableValue>([['row', tensorCall('0', 6, 3, [3], [1])], ['all', tensorCall('0', 6, 0, [2, 3], [3, 1])]]));
  const file = await handMade('view.pt', row, { 0: storage }, 'my_folder');
  const refs = await readTorchStateDict(file);
  assert.deepEqual(refs.map((r) => r.name), ['row', 'all']);
  assert.deepEqual(Array.from(await readTensorFloat32(refs[0]!)), [3, 4, 5]);
  assert.deepEqual(Array.from(await readTensorFloat32(refs[1]!)), [0, 1, 2, 3, 4, 5]);

  const transposed = pickle({ t: tensorCall('0', 6, 0, [3, 2], [1, 3]) });
  await rejectsTorch(await handMade('t.pt', transposed, { 0: storage }), /shape \[3,2\] with stride \[1,3\] .* is not contiguous row-major/);
  const overrun = pickle({ t: tensorCall('0', 6, 4, [3], [1]) });
  await rejectsTorch(await handMade('o.pt', overrun, { 0: storage }), /3 elements at offset 4 runs past storage '0' of 6/);
  const wrongSize = pickle({ t: tensorCall('0', 7, 0, [7], [1]) });
  await rejectsTorch(await handMade('w.pt', wrongSize, { 0: storage }), /holds 24 bytes, but 7 x F32 needs 28/);
});

test('a torch file whose pickle names os.system is refused with the absolute offset of the opcode', async () => {
  const evil = new Uint8Array([0x80, 2, ...new TextEncoder().encode('cos\nsystem\nX\x02\x00\x00\x00ls\x85R.')]);
  const file = await handMade('evil.pt', evil);
  const pklOffset = (await openZip(file)).get('archive/data.pkl')!.dataOffset;
  await rejectsTorch(file, /archive\/data\.pkl byte 2 \(GLOBAL\): refused global 'os\.system'/, pklOffset + 2);
});

test('archives without a single data.pkl and legacy torch files are refused clearly', async () => {
  const dir = tmp();
  const none = join(dir, 'none.pt');
  await writeZip(none, [{ name: 'x/other', size: 1, data: new Uint8Array(1) }]);
  await rejectsTorch(none, /no <folder>\/data\.pkl record/);
  const two = join(dir, 'two.pt');
  await writeZip(two, [{ name: 'a/data.pkl', size: 1, data: new Uint8Array([0x2e]) }, { name: 'b/data.pkl', size: 1, data: new Uint8Array([0x2e]) }]);
  await rejectsTorch(two, /several data\.pkl records/);
  const legacy = join(dir, 'legacy.pt');
  writeFileSync(legacy, new Uint8Array([0x80, 2, 0x8a, 0x0a, ...new Array<number>(40).fill(0)]));
  await rejectsTorch(legacy, /legacy \(pre-1\.6, non-zip\) torch\.save format/);
  await assert.rejects(readOptimizerStateDict(await handMade('list.pt', pickle([1, 2]))), /not an optimizer state dict: top level is list/);
});

test('deep nesting and cycles neither overflow the stack nor loop', async () => {
  // A tensor wrapped in 200,000 one-element tuples: naming walks it iteratively.
  const inner = pickle({ t: tensorCall('0', 1, 0, [], []) });
  const depth = 200_000;
  const deep = new Uint8Array(inner.length - 1 + depth + 1);
  deep.set(inner.subarray(0, inner.length - 1));
  deep.fill(0x85, inner.length - 1, inner.length - 1 + depth); // TUPLE1 x depth
  deep[deep.length - 1] = 0x2e; // STOP
  const f = await openTorchFile(await handMade('deep.pt', deep, { 0: bytesOf([1], Float32Array) }));
  assert.equal(f.tensors.length, 1);
  assert.equal(f.tensors[0]!.ref.name.split('.').length, depth + 1);

  // d = {'self': d, 'x': tensor}; l = [l]
  const cyclic = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 4, 0, 0, 0, ...new TextEncoder().encode('self'), 0x68, 0, 0x73, 0x2e]);
  assert.deepEqual(await readTorchStateDict(await handMade('cyclic.pt', cyclic)), []);
  const selfList = new Uint8Array([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e]);
  assert.equal((await openTorchFile(await handMade('l.pt', selfList))).tensors.length, 0);
});
