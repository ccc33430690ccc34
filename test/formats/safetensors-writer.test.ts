// The streaming, atomic writer: every dtype round-trips byte for byte through our reader and
// through a Python reader that parses the file the way safetensors does; failures leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { openSafetensors } from '../../server/src/formats/safetensors/reader.ts';
import { writeSafetensors, type SafetensorsEntry } from '../../server/src/formats/safetensors/writer.ts';
import { readRange } from '../../server/src/formats/tensorData.ts';
import { FormatError, type DType } from '../../server/src/formats/types.ts';
import { havePythonModule, runPython } from '../helpers/python.ts';
import { fileTempDir } from '../helpers/tempDir.ts';

const tmp = fileTempDir();

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const u16 = (...bits: number[]) => bytes(new Uint16Array(bits));

/** Every dtype with its bytes and the values those bytes mean (as PyTorch would print them). */
const SAMPLES: { name: string; dtype: DType; shape: number[]; data: Uint8Array; values: number[] }[] = [
  { name: 'f64', dtype: 'F64', shape: [2, 2], data: bytes(new Float64Array([1.5, -2.25, 1e300, Math.PI])), values: [1.5, -2.25, 1e300, Math.PI] },
  { name: 'f32', dtype: 'F32', shape: [3], data: bytes(new Float32Array([0.1, -7, 65504.5])), values: [Math.fround(0.1), -7, 65504.5] },
  { name: 'f16', dtype: 'F16', shape: [4], data: u16(0x3c00, 0xc000, 0x7bff, 0x0001), values: [1, -2, 65504, 2 ** -24] },
  { name: 'bf16', dtype: 'BF16', shape: [1, 3], data: u16(0x3f80, 0xc040, 0x4049), values: [1, -3, 3.140625] },
  { name: 'e4m3', dtype: 'F8_E4M3', shape: [2, 2], data: new Uint8Array([0x38, 0x7e, 0x01, 0xb8]), values: [1, 448, 2 ** -9, -1] },
  { name: 'e5m2', dtype: 'F8_E5M2', shape: [3], data: new Uint8Array([0x3c, 0x7b, 0xbc]), values: [1, 57344, -1] },
  { name: 'i64', dtype: 'I64', shape: [3], data: bytes(new BigInt64Array([-5n, 2n ** 40n + 3n, 0n])), values: [-5, 2 ** 40 + 3, 0] },
  { name: 'i32', dtype: 'I32', shape: [3], data: bytes(new Int32Array([-(2 ** 31), 2 ** 31 - 1, 7])), values: [-(2 ** 31), 2 ** 31 - 1, 7] },
  { name: 'i16', dtype: 'I16', shape: [2], data: bytes(new Int16Array([-32768, 32767])), values: [-32768, 32767] },
  { name: 'i8', dtype: 'I8', shape: [3], data: bytes(new Int8Array([-128, 127, 0])), values: [-128, 127, 0] },
  { name: 'u8', dtype: 'U8', shape: [3], data: new Uint8Array([0, 255, 17]), values: [0, 255, 17] },
  { name: 'bool', dtype: 'BOOL', shape: [2, 2], data: new Uint8Array([1, 0, 1, 1]), values: [1, 0, 1, 1] },
  { name: 'empty', dtype: 'F32', shape: [0, 5], data: new Uint8Array(0), values: [] },
  { name: 'scalar', dtype: 'F64', shape: [], data: bytes(new Float64Array([Math.E])), values: [Math.E] },
];

/** The samples as entries, feeding bytes three ways: whole, sync chunks, and async 3-byte chunks. */
function entries(): SafetensorsEntry[] {
  return SAMPLES.map(({ name, dtype, shape, data }, i) => {
    if (i % 3 === 0) return { name, dtype, shape, data };
    if (i % 3 === 1) return { name, dtype, shape, data: () => [data.subarray(0, 1), data.subarray(1)] };
    return {
      name, dtype, shape,
      data: async function* () {
        for (let at = 0; at < data.length; at += 3) yield data.slice(at, at + 3);
      },
    };
  });
}

const leftovers = async () => (await readdir(tmp.dir)).filter((n) => n.includes('.tmp-'));

test('every dtype, an empty tensor and a scalar round-trip byte for byte, header 8-byte aligned', async () => {
  const path = `${tmp.dir}/all.safetensors`;
  const written = await writeSafetensors(path, entries(), { metadata: { format: 'pt', note: 'round trip' } });
  const f = await openSafetensors(path);
  assert.equal(f.headerLength % 8, 0);
  assert.equal(written.headerLength, f.headerLength);
  assert.equal(written.fileSize, f.fileSize);
  assert.deepEqual(f.metadata, { format: 'pt', note: 'round trip' });
  assert.deepEqual(f.tensors.map((t) => [t.name, t.dtype, t.shape]), SAMPLES.map((s) => [s.name, s.dtype, s.shape]));
  for (const [i, t] of f.tensors.entries()) assert.deepEqual(await readRange(t.file, t.offset, t.byteLength), SAMPLES[i]!.data, t.name);
  // The padding is spaces, as Python's safetensors writes it.
  const header = (await readFile(path)).subarray(8, f.dataOffset).toString('utf8');
  assert.match(header, /^\{"__metadata__":\{"format":"pt","note":"round trip"\},"f64":\{"dtype":"F64","shape":\[2,2\],"data_offsets":\[0,32\]\}.*\} *$/);
  assert.deepEqual(await leftovers(), []);
});

test('an async iterable of entries is accepted', async () => {
  async function* gen() {
    yield* entries();
  }
  const path = `${tmp.dir}/async.safetensors`;
  await writeSafetensors(path, gen());
  assert.deepEqual((await openSafetensors(path)).metadata, {});
});

test('a failing data source leaves no temporary file and keeps the previous file', async () => {
  const path = `${tmp.dir}/keep.safetensors`;
  await writeFile(path, 'previous contents');
  const failing: SafetensorsEntry[] = [
    { name: 'a', dtype: 'F32', shape: [2], data: new Uint8Array(8) },
    { name: 'b', dtype: 'F32', shape: [1 << 20], data: async function* () {
      yield new Uint8Array(1 << 19);
      throw new Error('source broke');
    } },
  ];
  await assert.rejects(writeSafetensors(path, failing), /source broke/);
  assert.equal(await readFile(path, 'utf8'), 'previous contents');
  assert.deepEqual(await leftovers(), []);
});

test('a tensor given too many or too few bytes is refused, naming tensor and offset', async () => {
  const path = `${tmp.dir}/count.safetensors`;
  const json = JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } });
  const header = 8 + Math.ceil(json.length / 8) * 8;
  const spec = (data: SafetensorsEntry['data']): SafetensorsEntry[] => [
    { name: 'a', dtype: 'F32', shape: [2], data: new Uint8Array(8) },
    { name: 'b', dtype: 'F32', shape: [2], data },
  ];
  await assert.rejects(writeSafetensors(path, spec(() => [new Uint8Array(6), new Uint8Array(6)])), (e: unknown) =>
    e instanceof FormatError && e.message === `${path}, tensor 'b', byte ${header + 16}: data source gave more than the 8 bytes of F32 [2]`);
  await assert.rejects(writeSafetensors(path, spec(new Uint8Array(5))), (e: unknown) =>
    e instanceof FormatError && e.message === `${path}, tensor 'b', byte ${header + 13}: data source gave only 5 of the 8 bytes of F32 [2]`);
  await assert.rejects(writeSafetensors(path, spec(() => ['abc' as unknown as Uint8Array])), /tensor 'b'.*gave a string, expected Uint8Array/);
  assert.deepEqual(await readdir(tmp.dir).then((n) => n.filter((x) => x.startsWith('count'))), []);
});

test('bad specs are refused before any file is created', async () => {
  const path = `${tmp.dir}/spec.safetensors`;
  const one = (e: Partial<SafetensorsEntry>): SafetensorsEntry[] => [{ name: 'w', dtype: 'F32', shape: [1], data: new Uint8Array(4), ...e }];
  await assert.rejects(writeSafetensors(path, one({ dtype: 'F12' as DType })), /tensor 'w'.*unknown dtype "F12"/);
  await assert.rejects(writeSafetensors(path, one({ shape: [-1] })), /tensor 'w'.*shape \[-1\] is not/);
  await assert.rejects(writeSafetensors(path, one({ name: '__metadata__' })), /tensor '__metadata__'.*reserved for metadata/);
  await assert.rejects(writeSafetensors(path, [...one({}), ...one({})]), /tensor 'w'.*given twice/);
  await assert.rejects(writeSafetensors(path, one({}), { metadata: { step: 3 as unknown as string } }), /metadata value for key 'step' is a number/);
  assert.deepEqual((await readdir(tmp.dir)).filter((x) => x.startsWith('spec')), []);
});


test('Python (struct + json + torch.frombuffer) reads our file and gets our values', async (t) => {
  if (!havePythonModule(t, 'torch')) return;
  const path = `${tmp.dir}/python.safetensors`;
  const { headerLength } = await writeSafetensors(path, entries(), { metadata: { format: 'pt' } });
  const py = JSON.parse(runPython('test/python/read_safetensors.py', path)) as { header_length: number; metadata: unknown; order: string[]; tensors: Record<string, { shape?: number[]; values?: number[]; raw?: number[] }> };
  assert.equal(py.header_length, headerLength);
  assert.deepEqual(py.metadata, { format: 'pt' });
  assert.deepEqual(py.order, SAMPLES.map((s) => s.name));
  for (const s of SAMPLES) {
    const got = py.tensors[s.name]!;
    if (got.raw) assert.deepEqual(got.raw, [...s.data], s.name);
    else assert.deepEqual([got.shape, got.values], [s.shape, s.values], s.name);
  }
});
