// Malformed safetensors files: one crafted file per validation rule, each giving a FormatError
// that names the file, the tensor and the byte offset; and a fuzz loop over the real fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openSafetensors } from '../../server/src/formats/safetensors/reader.ts';
import { FormatError } from '../../server/src/formats/types.ts';
import { craftSafetensors } from '../helpers/craftSafetensors.ts';
import { fileTempDir } from '../helpers/tempDir.ts';

const tmp = fileTempDir();

const t = (dtype: string, shape: unknown, begin: unknown, end?: unknown) => ({ dtype, shape, data_offsets: end === undefined ? begin : [begin, end] });
/** File offset of the data section for a header object crafted with padding. */
const dataStart = (header: object) => 8 + Math.ceil(Buffer.byteLength(JSON.stringify(header)) / 8) * 8;

/** Opens crafted bytes and checks the FormatError names the file and carries every fragment. */
async function expectError(name: string, bytes: Uint8Array, ...fragments: (string | RegExp)[]): Promise<void> {
  const path = await tmp.put(name, bytes);
  await assert.rejects(openSafetensors(path), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.ok(e.message.startsWith(path), `message should start with the file: ${e.message}`);
    for (const f of fragments) {
      assert.ok(typeof f === 'string' ? e.message.includes(f) : f.test(e.message), `message lacks ${String(f)}: ${e.message}`);
    }
    return true;
  });
}

test('file too short, empty, or header length beyond the file or the 100 MB limit', async () => {
  await expectError('empty.safetensors', new Uint8Array(0), 'file is 0 bytes', 'byte 0');
  await expectError('short.safetensors', new Uint8Array(5), 'file is 5 bytes', 'byte 0');
  await expectError('huge.safetensors', craftSafetensors({}, 0, { headerLength: 2n ** 64n - 1n }), 'header length 18446744073709551615 exceeds the limit of 100000000 bytes');
  await expectError('limit.safetensors', craftSafetensors({}, 0, { headerLength: 100_000_001n }), 'exceeds the limit', 'byte 0');
  await expectError('past.safetensors', craftSafetensors({}, 0, { headerLength: 1000n }), 'header length 1000 runs past the end of the file (16 bytes)', 'byte 0');
});

test('header not UTF-8, not JSON, or not an object', async () => {
  await expectError('utf8.safetensors', craftSafetensors(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 'not valid UTF-8', 'byte 8');
  await expectError('json.safetensors', craftSafetensors('{"a": {"dtype": "F32",, }}'), 'not valid JSON', 'byte 30');
  await expectError('array.safetensors', craftSafetensors('[1, 2]'), 'header is JSON array, expected an object', 'byte 8');
  await expectError('null.safetensors', craftSafetensors('null'), 'header is JSON null');
});

test('bad dtype, shape or data_offsets name the tensor and its offset', async () => {
  const cases: [string, object, number, ...string[]][] = [
    ['dtype', { w: t('F33', [2], 0, 8) }, 8, "unknown dtype \"F33\""],
    ['negshape', { w: t('F32', [2, -1], 0, 8) }, 8, 'shape [2,-1] is not an array of non-negative integers'],
    ['fracshape', { w: t('F32', [2.5], 0, 8) }, 8, 'shape [2.5] is not'],
    ['strshape', { w: t('F32', '2', 0, 8) }, 8, 'shape "2" is not'],
    ['offsets3', { w: t('F32', [2], [0, 4, 8]) }, 8, 'data_offsets [0,4,8] is not a pair'],
    ['offsetsstr', { w: t('F32', [2], ['0', 8]) }, 8, 'is not a pair of non-negative integers'],
    ['entry', { w: 5 }, 8, 'not an object with dtype, shape and data_offsets'],
  ];
  for (const [name, header, dataBytes, ...fragments] of cases) {
    // The offset reported is where the tensor's key sits in the header: "{" then the key.
    await expectError(`${name}.safetensors`, craftSafetensors(header, dataBytes), "tensor 'w'", 'byte 9', ...fragments);
  }
});

test('byte span, range and order errors report the data offset', async () => {
  const span = { w: t('F32', [3], 0, 8) };
  await expectError('span.safetensors', craftSafetensors(span, 8), "tensor 'w'", `byte ${dataStart(span)}`, 'shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8');
  const backwards = { w: t('F32', [0], 8, 4) };
  await expectError('backwards.safetensors', craftSafetensors(backwards, 8), "tensor 'w'", `byte ${dataStart(backwards) + 8}`, 'begin is after end');
  const outside = { a: t('F32', [2], 0, 8), w: t('F32', [2], 8, 16) };
  await expectError('outside.safetensors', craftSafetensors(outside, 12), "tensor 'w'", `byte ${dataStart(outside) + 8}`, 'reach past the end of the data section (12 bytes');
  const overlap = { a: t('F32', [2], 0, 8), w: t('F32', [2], 4, 12) };
  await expectError('overlap.safetensors', craftSafetensors(overlap, 12), "tensor 'w'", `byte ${dataStart(overlap) + 4}`, "overlap tensor 'a'");
  const gap = { a: t('F32', [2], 0, 8), w: t('F32', [2], 12, 20) };
  await expectError('gap.safetensors', craftSafetensors(gap, 20), "tensor 'w'", `byte ${dataStart(gap) + 8}`, "4 unused bytes after tensor 'a'");
  const lead = { w: t('I8', [2], 2, 4) };
  await expectError('lead.safetensors', craftSafetensors(lead, 4), "tensor 'w'", `byte ${dataStart(lead)}`, '2 unused bytes at the start');
  const trailing = { a: t('F32', [2], 0, 8) };
  await expectError('trailing.safetensors', craftSafetensors(trailing, 11), `byte ${dataStart(trailing) + 8}`, "3 trailing bytes in the data section after the last tensor 'a'");
  await expectError('notensors.safetensors', craftSafetensors({}, 4), '4 trailing bytes', 'lists no tensors');
  const truncated = craftSafetensors({ a: t('F32', [2], 0, 8), w: t('F32', [4], 8, 24) }, 24).subarray(0, -5);
  await expectError('truncated.safetensors', truncated, "tensor 'w'", 'reach past the end of the data section (19 bytes');
});

test('__metadata__ must be an object of strings', async () => {
  await expectError('meta-list.safetensors', craftSafetensors({ __metadata__: ['pt'] }), '__metadata__ is an array, expected an object of strings', 'byte 9');
  const meta = { a: t('U8', [1], 0, 1), __metadata__: { format: 'pt', step: 100 } };
  const offset = 8 + JSON.stringify(meta).indexOf('"__metadata__"');
  await expectError('meta-num.safetensors', craftSafetensors(meta, 1), "__metadata__ value for key 'step' is a number (100), expected a string", `byte ${offset}`);
});

test('legal corner cases open: empty tensors anywhere, scalars, no tensors, unpadded header', async () => {
  const header = { __metadata__: { k: 'v' }, e0: t('F32', [0, 3], 0, 0), s: t('F64', [], 0, 8), e1: t('BF16', [4, 0], 8, 8), b: t('BOOL', [2], 8, 10) };
  const path = await tmp.put('corner.safetensors', craftSafetensors(header, 10, { pad: false }));
  const f = await openSafetensors(path);
  const start = 8 + Buffer.byteLength(JSON.stringify(header));
  assert.deepEqual(f.metadata, { k: 'v' });
  assert.deepEqual(f.tensors.map((x) => [x.name, x.numel, x.offset - start, x.byteLength]), [['e0', 0, 0, 0], ['s', 1, 0, 8], ['e1', 0, 8, 0], ['b', 2, 8, 2]]);
  assert.equal((await openSafetensors(await tmp.put('none.safetensors', craftSafetensors({})))).tensors.length, 0);
});

test('missing file and directory are FormatErrors', async () => {
  await assert.rejects(openSafetensors(`${tmp.dir}/absent.safetensors`), /absent\.safetensors: no such file/);
  await assert.rejects(openSafetensors(tmp.dir), (e: unknown) => e instanceof FormatError && /is a directory/.test(e.message));
});

test('fuzz: truncated or garbled fixture headers open or throw FormatError, never anything else', { timeout: 60_000 }, async () => {
  const original = await readFile('test/fixtures/tiny-llama-bf16/checkpoint-200/model-00002-of-00002.safetensors');
  const headerEnd = 8 + Number(original.readBigUInt64LE(0));
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const variants: Uint8Array[] = [];
  for (let cut = 0; cut < headerEnd + 64; cut += cut < 16 ? 1 : 7) variants.push(original.subarray(0, cut));
  for (let i = 0; i < 20; i++) variants.push(original.subarray(0, headerEnd + rand(original.length - headerEnd)));
  for (let i = 0; i < 400; i++) {
    const v = Buffer.from(original);
    v[rand(headerEnd)] = i % 3 === 0 ? rand(256) : '0123456789[]{},:"-. e'.charCodeAt(rand(21));
    variants.push(v);
  }
  for (let i = 0; i < 60; i++) {
    const at = 8 + rand(headerEnd - 8); // delete one header byte, keeping the declared length
    variants.push(Buffer.concat([original.subarray(0, at), original.subarray(at + 1)]));
  }
  let opened = 0;
  let refused = 0;
  const path = `${tmp.dir}/fuzz.safetensors`;
  for (const v of variants) {
    await tmp.put('fuzz.safetensors', v);
    try {
      await openSafetensors(path);
      opened++;
    } catch (e) {
      assert.ok(e instanceof FormatError, `non-FormatError ${String(e)}`);
      assert.ok(e.message.startsWith(path));
      refused++;
    }
  }
  // Both outcomes occur: garbling padding or a name is harmless, garbling numbers is not.
  assert.ok(opened > 10 && refused > 300, `opened ${opened}, refused ${refused}`);
});
