import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { FormatError } from '../../server/src/formats/types.ts';
import { openZip } from '../../server/src/formats/zip/zipReader.ts';
import { writeZip, type ZipEntrySource } from '../../server/src/formats/zip/zipWriter.ts';
import { havePythonModule, runPython } from '../helpers/python.ts';
import { tempDirFactory } from '../helpers/tempDir.ts';
import { centralRecord, endRecord, localRecord, zip64Extra } from '../helpers/zipRecords.ts';

const FIXTURE = resolve('test/fixtures/tiny-llama/checkpoint-200/optimizer.pt');
const tmp = tempDirFactory('zip-test-');
const text = (s: string) => new TextEncoder().encode(s);

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Asserts that opening `file` fails with a FormatError matching `re` that names the file. */
async function rejectsOpen(file: string, re: RegExp): Promise<void> {
  await assert.rejects(openZip(file), (e: unknown) => {
    assert.ok(e instanceof FormatError, String(e));
    assert.match(e.message, re);
    assert.ok(e.message.startsWith(file), e.message);
    assert.equal(typeof e.detail.offset, 'number');
    return true;
  });
}

test('reads the directory of a torch-written zip (ZIP64 end records, data descriptors, FB padding)', async () => {
  const zip = await openZip(FIXTURE);
  assert.equal(zip.entries.length, 65);
  const pkl = zip.get('optimizer/data.pkl')!;
  assert.deepEqual([pkl.method, pkl.size, pkl.localHeaderOffset, pkl.dataOffset], [0, 4430, 0, 64]);
  const first = zip.get('optimizer/data/0')!;
  // Python's zipfile: header_offset 4510; torch aligns each record's data to 64 bytes.
  assert.deepEqual([first.localHeaderOffset, first.dataOffset, first.size], [4510, 4608, 4]);
  for (const e of zip.entries) assert.equal(e.dataOffset % 64, 0, e.name);
  assert.equal(new TextDecoder().decode(await zip.read(zip.get('optimizer/version')!)), '3\n');
  const data = await zip.read(pkl);
  assert.deepEqual([data[0], data[1], data[data.length - 1]], [0x80, 2, 0x2e]);
});

test('writer output reads back with aligned data, in auto and always-ZIP64 modes', async () => {
  const dir = tmp();
  const big = pattern(200_001, 3);
  const entries = (): ZipEntrySource[] => [
    { name: 'ckpt/data.pkl', size: 5, data: text('hello') },
    { name: 'ckpt/data/0', size: big.length, data: chunked(big, 65_536) },
    { name: 'ckpt/empty', size: 0, data: new Uint8Array(0) },
    { name: 'ckpt/ünïcode', size: 3, data: text('abc') },
  ];
  for (const zip64 of ['auto', 'always'] as const) {
    const file = join(dir, `out-${zip64}.zip`);
    await writeZip(file, entries(), { zip64 });
    const zip = await openZip(file);
    assert.deepEqual(zip.entries.map((e) => e.name), ['ckpt/data.pkl', 'ckpt/data/0', 'ckpt/empty', 'ckpt/ünïcode']);
    for (const e of zip.entries) {
      assert.equal(e.dataOffset % 64, 0);
      assert.equal(e.method, 0);
    }
    assert.deepEqual(await zip.read(zip.get('ckpt/data/0')!), big);
    assert.equal(zip.get('ckpt/data/0')!.crc32, crc32(big) >>> 0);
    assert.deepEqual(await zip.read(zip.get('ckpt/ünïcode')!), text('abc'));
    assert.equal((await zip.read(zip.get('ckpt/empty')!)).length, 0);
  }
  // Nothing but the two archives is left in the directory (temporary files were renamed).
  assert.deepEqual(readdirSync(dir).sort(), ['out-always.zip', 'out-auto.zip']);
});

test("Python's zipfile accepts the writer's output (CRCs, ZIP64 records)", async (t) => {
  if (!havePythonModule(t, 'zipfile')) return;
  const dir = tmp();
  for (const zip64 of ['auto', 'always'] as const) {
    const file = join(dir, `${zip64}.zip`);
    await writeZip(file, [
      { name: 'a/x', size: 100_000, data: pattern(100_000, 1) },
      { name: 'a/y', size: 1, data: text('y') },
    ], { zip64 });
    const script = 'import sys, zipfile, zlib\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(",".join(f"{i.filename}:{i.file_size}:{zlib.crc32(z.read(i)):08x}" for i in z.infolist()))';
    assert.equal(runPython('-c', script, file).trim(), `a/x:100000:${(crc32(pattern(100_000, 1)) >>> 0).toString(16).padStart(8, '0')},a/y:1:${(crc32(text('y')) >>> 0).toString(16).padStart(8, '0')}`);
  }
});

test('more than 65535 entries switch to ZIP64 end records', async () => {
  const dir = tmp();
  const file = join(dir, 'many.zip');
  const n = 65_600;
  await writeZip(file, (function* () {
    for (let i = 0; i < n; i++) yield { name: `m/${i}`, size: 1, data: new Uint8Array([i & 0xff]) };
  })(), { alignment: 1 });
  const zip = await openZip(file);
  assert.equal(zip.entries.length, n);
  assert.deepEqual(await zip.read(zip.get('m/65599')!), new Uint8Array([65599 & 0xff]));
});

test('ZIP64 offsets beyond 4 GiB are followed (sparse 5 GiB file, nothing read before the entry)', async () => {
  const file = join(tmp(), 'sparse.zip');
  const at = 5 * 2 ** 30 + 3; // local header offset, past 2^32
  const name = text('big/data/0');
  const payload = pattern(8, 5);
  const crc = crc32(payload) >>> 0;
  const local = localRecord(name, { version: 45, method: 0, crc, compressedSize: 0xffffffff, size: 0xffffffff, extra: zip64Extra(8, 8) });
  const cdOffset = at + local.length + payload.length;
  // The local header offset lives in the ZIP64 extra.
  const central = centralRecord(name, { version: 45, method: 0, crc, compressedSize: 8, size: 8, localHeaderOffset: 0xffffffff, extra: zip64Extra(at) });
  const z64At = cdOffset + central.length;
  const z64 = new Uint8Array(56 + 20); // ZIP64 end record, then its locator
  const tv = new DataView(z64.buffer);
  tv.setUint32(0, 0x06064b50, true);
  tv.setBigUint64(4, 44n, true);
  tv.setBigUint64(24, 1n, true);
  tv.setBigUint64(32, 1n, true);
  tv.setBigUint64(40, BigInt(central.length), true);
  tv.setBigUint64(48, BigInt(cdOffset), true);
  tv.setUint32(56, 0x07064b50, true);
  tv.setBigUint64(64, BigInt(z64At), true);
  tv.setUint32(72, 1, true);
  const tail = Buffer.concat([z64, endRecord(1, central.length, 0xffffffff)]);
  const fd = openSync(file, 'w');
  try {
    for (const [bytes, pos] of [[local, at], [payload, at + local.length], [central, cdOffset], [tail, z64At]] as const) writeSync(fd, bytes, 0, bytes.length, pos);
  } finally {
    closeSync(fd);
  }
  const zip = await openZip(file);
  const entry = zip.get('big/data/0')!;
  assert.deepEqual([entry.localHeaderOffset, entry.dataOffset, entry.size], [at, at + local.length, 8]);
  assert.deepEqual(await zip.read(entry), payload);
});

test('a failing source leaves no file behind', async () => {
  const dir = tmp();
  const file = join(dir, 'bad.zip');
  await assert.rejects(writeZip(file, [{ name: 'x', size: 10, data: text('short') }]), /source gave 5 bytes, declared 10/);
  await assert.rejects(writeZip(file, [{ name: 'x', size: 2, data: chunked(text('toolong'), 3) }]), /more than the declared 2 bytes/);
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield text('ok');
    throw new Error('disk on fire');
  }
  await assert.rejects(writeZip(file, [{ name: 'x', size: 10, data: failing() }]), /disk on fire/);
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(existsSync(file), false);
});

/** A small valid archive written by us, and the offsets of its records for corrupting. */
async function sample(zip64: 'auto' | 'always' = 'auto'): Promise<{ file: string; bytes: Uint8Array; view: DataView; eocd: number; cd: number }> {
  const file = join(tmp(), 's.zip');
  await writeZip(file, [
    { name: 's/data.pkl', size: 4, data: text('pkl.') },
    { name: 's/data/0', size: 16, data: pattern(16, 0) },
  ], { zip64 });
  const bytes = new Uint8Array(readFileSync(file));
  const view = new DataView(bytes.buffer);
  const eocd = bytes.length - 22;
  assert.equal(view.getUint32(eocd, true), 0x06054b50);
  const cd = zip64 === 'always' ? Number(view.getBigUint64(bytes.length - 22 - 20 - 56 + 48, true)) : view.getUint32(eocd + 16, true);
  return { file, bytes, view, eocd, cd };
}

function corrupt(file: string, bytes: Uint8Array, edit: (v: DataView, b: Uint8Array) => void): string {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer), copy);
  const out = `${file}.bad`;
  writeFileSync(out, copy);
  return out;
}

test('bad archives give FormatErrors naming the file and a byte offset', async () => {
  const dir = tmp();
  const notZip = join(dir, 'not.zip');
  writeFileSync(notZip, pattern(5000, 9));
  await rejectsOpen(notZip, /no end-of-central-directory record/);
  const tiny = join(dir, 'tiny.zip');
  writeFileSync(tiny, text('PK'));
  await rejectsOpen(tiny, /too small/);

  const s = await sample();
  await rejectsOpen(corrupt(s.file, s.bytes, (v) => v.setUint32(s.eocd + 16, s.cd + 1000, true)), /central directory .* runs past its end record/);
  await rejectsOpen(corrupt(s.file, s.bytes, (v) => v.setUint16(s.eocd + 10, 3, true)), /3 entries cannot fit in a central directory/);
  await rejectsOpen(corrupt(s.file, s.bytes, (v) => v.setUint32(s.cd, 0xdeadbeef, true)), /bad central directory signature at entry 0/);
  // The second entry's name length pointing past the directory: truncated.
  const second = s.cd + 46 + 's/data.pkl'.length;
  await rejectsOpen(corrupt(s.file, s.bytes, (v) => v.setUint16(second + 28, 500, true)), /central directory truncated inside entry 1/);
  await rejectsOpen(corrupt(s.file, s.bytes, (v) => v.setUint32(0, 0x12345678, true)), /'s\/data\.pkl': bad local header signature/);
  await rejectsOpen(corrupt(s.file, s.bytes, (v) => v.setUint32(s.cd + 42, s.cd, true)), /local header offset .* is not before the central directory/);
  await rejectsOpen(corrupt(s.file, s.bytes, (v) => v.setUint32(second + 20, 100_000, true)), /'s\/data\/0': data .* runs into the central directory/);
  // Cutting the file inside the central directory loses the end record.
  const cut = join(dir, 'cut.zip');
  writeFileSync(cut, s.bytes.subarray(0, s.cd + 30));
  await rejectsOpen(cut, /no end-of-central-directory record/);

  const z = await sample('always');
  const locator = z.eocd - 20;
  await rejectsOpen(corrupt(z.file, z.bytes, (v) => v.setBigUint64(locator + 8, 10n ** 12n, true)), /ZIP64 end record offset .* outside the file/);
  await rejectsOpen(corrupt(z.file, z.bytes, (v) => v.setUint32(locator, 0, true)), /needs ZIP64 values but there is no ZIP64 locator/);
  await rejectsOpen(corrupt(z.file, z.bytes, (v) => v.setUint32(z.cd + 46 + 's/data.pkl'.length + 4 - 4, 0x00040001, true)), /ZIP64 extra field too short/);
});

test('entry reads check CRCs and bound inflation', async () => {
  const s = await sample();
  const zip = await openZip(corrupt(s.file, s.bytes, (_v, b) => (b[(zipDataOffset(s.bytes, 1)) + 3]! ^= 0xff)));
  await assert.rejects(zip.read(zip.get('s/data/0')!), /'s\/data\/0': CRC-32 mismatch/);
  await assert.rejects(zip.read(zip.get('s/data/0')!, 8), /more than the 8 allowed/);

  // Deflated entries (some writers compress the pickle) are inflated, within the declared size only.
  const dir = tmp();
  const payload = text('x'.repeat(10_000));
  const good = join(dir, 'deflated.zip');
  writeFileSync(good, handZip('d/data.pkl', deflateRawSync(payload), payload.length, crc32(payload) >>> 0));
  const dz = await openZip(good);
  assert.deepEqual(await dz.read(dz.get('d/data.pkl')!), payload);
  const bomb = join(dir, 'bomb.zip');
  writeFileSync(bomb, handZip('d/data.pkl', deflateRawSync(payload), 10, 0));
  const bz = await openZip(bomb);
  await assert.rejects(bz.read(bz.get('d/data.pkl')!), /cannot inflate/);
});

/** Data offset of the i-th entry of an archive we wrote (local header 30 bytes + name + extra). */
function zipDataOffset(bytes: Uint8Array, index: number): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  let at = 0;
  for (let i = 0; ; i++) {
    const data = at + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
    if (i === index) return data;
    at = data + v.getUint32(at + 18, true);
  }
}

/** A one-entry zip with a deflated entry, assembled by hand. */
function handZip(name: string, compressed: Uint8Array, size: number, crc: number): Uint8Array {
  const n = text(name);
  const fields = { version: 20, method: 8, crc, compressedSize: compressed.length, size };
  const local = localRecord(n, fields);
  const central = centralRecord(n, { ...fields, localHeaderOffset: 0 });
  return Buffer.concat([local, compressed, central, endRecord(1, central.length, local.length + compressed.length)]);
}
