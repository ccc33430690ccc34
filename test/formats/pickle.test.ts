import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FormatError } from '../../server/src/formats/types.ts';
import { ZipArchive, openZip } from '../../server/src/formats/zip/zipReader.ts';
import { torchPickleHooks } from '../../server/src/formats/torch/allowList.ts';
import { unpickle, type PickleLimits } from '../../server/src/formats/torch/pickleReader.ts';
import { pickle } from '../../server/src/formats/torch/pickleWriter.ts';
import { PyFloat, attributesOf, isTuple, tuple, type PyValue, type WritableValue } from '../../server/src/formats/torch/pyValue.ts';
import { havePythonModule, runPython } from '../helpers/python.ts';
import { makeTempDir } from '../helpers/tempDir.ts';

// The torch allow-list over an empty archive: enough for everything but storages.
function load(data: Uint8Array, limits?: Partial<PickleLimits>): PyValue {
  const { hooks } = torchPickleHooks(new ZipArchive('/ckpt/evil.pt', 0, []), 'evil');
  return unpickle(data, { file: '/ckpt/evil.pt', entryName: 'evil/data.pkl', baseOffset: 1000, hooks, limits });
}

/** Pickle bytes from opcode bytes, text (latin1) and byte arrays. */
function bytes(...parts: Array<number | string | Uint8Array>): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const ch of p) out.push(ch.charCodeAt(0));
    else out.push(...p);
  }
  return new Uint8Array(out);
}
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

function refusal(data: Uint8Array, pattern: RegExp, offset?: number): void {
  assert.throws(
    () => load(data),
    (e: unknown) => {
      assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
      assert.match(e.message, pattern);
      assert.match(e.message, /\/ckpt\/evil\.pt/);
      if (offset !== undefined) assert.equal(e.detail.offset, 1000 + offset);
      return true;
    },
  );
}

test('GLOBAL os.system + REDUCE is refused, naming the global and the opcode offset', () => {
  const evil = bytes(0x80, 2, 'c', 'os\nsystem\n', 'X', u32(2), 'ls', 0x85, 'R', '.');
  refusal(evil, /refused global 'os\.system'/, 2);
  refusal(evil, /evil\/data\.pkl byte 2 \(GLOBAL\)/);
});

test('STACK_GLOBAL builtins.eval (protocol 4) is refused at the STACK_GLOBAL opcode', () => {
  const evil = bytes(0x80, 4, 0x8c, 8, 'builtins', 0x94, 0x8c, 4, 'eval', 0x94, 0x93, 0x8c, 1, '1', 0x85, 'R', '.');
  refusal(evil, /refused global 'builtins\.eval'/, 20);
});

test('other dangerous globals are refused however they are named', () => {
  for (const [module, name] of [
    ['posix', 'system'], ['nt', 'system'], ['subprocess', 'Popen'], ['builtins', 'exec'], ['builtins', 'getattr'],
    ['__builtin__', 'eval'], ['torch.storage', '_load_from_bytes'], ['torch._utils', '_rebuild_tensor'], ['collections', 'deque'],
    ['torch', 'load'], ['numpy.core.multiarray', '_reconstruct'],
  ]) {
    refusal(bytes(0x80, 2, 'c', `${module}\n${name}\n`, ')', 'R', '.'), new RegExp(`refused global '${module}\\.${name}'`), 2);
    // INST names its class inline: checked the same way.
    refusal(bytes(0x80, 2, '(', 'i', `${module}\n${name}\n`, '.'), new RegExp(`refused global '${module}\\.${name}'`), 3);
  }
});

test('allowed but non-callable globals cannot be called, and persistent ids need a storage tuple', () => {
  refusal(bytes(0x80, 2, 'c', 'torch\nFloatStorage\n', ')', 'R', '.'), /torch\.FloatStorage cannot be called/, 23);
  refusal(bytes(0x80, 2, 'X', u32(2), 'hi', 'Q', '.'), /unsupported persistent id str/, 9);
  // A persistent id whose storage record is missing from the zip.
  refusal(bytes(0x80, 2, '(', 'X', u32(7), 'storage', 'c', 'torch\nFloatStorage\n', 'X', u32(1), '0', 'X', u32(3), 'cpu', 'K', 4, 't', 'Q', '.'), /storage '0' has no record 'evil\/data\/0'/);
});

test('truncated and oversized input gives clear errors, never a crash', () => {
  refusal(bytes(0x80, 2, 'X', u32(0xfffffff0), 'abc'), /truncated: needs 4294967280 more bytes but 3 are left/, 2);
  refusal(bytes(0x80, 2, 0x8b, u32(0x7fffffff), '.'), /integer of 2147483647 bytes exceeds the limit/, 2);
  refusal(bytes(0x80, 4, 0x8e, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0x80]), '.'), /too large/, 2);
  refusal(bytes(0x80, 2, 'K', 1), /ends before STOP/);
  refusal(bytes(0x80, 2, 'c', 'os'), /missing newline/);
  refusal(bytes(0x80, 2, 'R', '.'), /stack underflow/, 2);
  refusal(bytes(0x80, 2, 'h', 5, '.'), /memo entry 5 was never set/, 2);
  refusal(bytes(0x80, 2, 'e', '.'), /no MARK/, 2);
  refusal(bytes(0x80, 2, '}', 'K', 1, 'a', '.'), /APPEND to dict, expected a list/, 5);
  refusal(bytes(0x80, 2, ']', 'K', 1, 'K', 2, 's', '.'), /SETITEM on list/);
  refusal(bytes(0x80, 2, 0xff, '.'), /unknown opcode 0xff/, 2);
  refusal(bytes(0x80, 2, 'I', '1\n', '.'), /protocol-0 text opcodes are not supported/, 2);
  refusal(bytes(0x80, 6, '.'), /unsupported pickle protocol 6/, 0);
  refusal(bytes(0x80, 5, 0x97, '.'), /out-of-band buffers/);
  refusal(bytes(0x80, 2, 0x82, 1, '.'), /extension registry/);
  // BUILD on anything but a dict is refused (it would mean setting state on an arbitrary object).
  refusal(bytes(0x80, 2, ']', '}', 'b', '.'), /BUILD \(set state\) on list/);

  // Cutting a real pickle anywhere gives a FormatError.
  const good = pickle(new Map<WritableValue, WritableValue>([['a', tuple(1, 2.5, 'x')], ['b', [true, null, 70000]]]));
  for (let n = 0; n < good.length - 1; n++) assert.throws(() => load(good.subarray(0, n)), FormatError, `cut at ${n}`);
});

test('limits bound memory on hostile streams', () => {
  const lists = bytes(0x80, 2, ...new Array<number>(5000).fill(0x5d), '.');
  assert.throws(() => load(lists, { maxObjects: 1000 }), /more than 1000 objects/);
  const marks = bytes(0x80, 2, ...new Array<number>(200).fill(0x28), '.');
  assert.throws(() => load(marks, { maxMarkDepth: 100 }), /more than 100 nested marks/);
  const nones = bytes(0x80, 2, ...new Array<number>(300).fill(0x4e), '.');
  assert.throws(() => load(nones, { maxStack: 256 }), /stack deeper than 256/);
  const memo = bytes(0x80, 2, 'N', ...Array.from({ length: 50 }, (_, i) => [0x71, i]).flat(), '.');
  assert.throws(() => load(memo, { maxMemo: 10 }), /more than 10 memo entries/);
});

test('random corruption of a real torch pickle never escapes as anything but a FormatError', async () => {
  const archive = await openZip(resolve('test/fixtures/tiny-llama/checkpoint-200/optimizer.pt'));
  const real = await archive.read(archive.get('optimizer/data.pkl')!);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let refused = 0;
  for (let trial = 0; trial < 3000; trial++) {
    const data = real.slice();
    for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) data[Math.floor(rand() * data.length)] = Math.floor(rand() * 256);
    try {
      load(data);
    } catch (e) {
      if (!(e instanceof FormatError)) throw new Error(`trial ${trial}: ${String(e)}`);
      refused++;
    }
  }
  assert.ok(refused > 1000, `most corrupted pickles are refused (${refused})`);
});

test('pickles written by Python at protocols 2 to 5 read back as plain values', () => {
  // Generated by CPython 3.11: pickle.dumps(obj, protocol=p) with
  // obj = {'lr': 0.001, 'betas': (0.9, 0.999), 'params': [0, 1, 2], 'name': 'adamw é', 'flag': True,
  //        'none': None, 'big': 2**70, 'neg': -70000, 'od': OrderedDict([('a', 1)])}
  // plus, from protocol 3, 'blob': b'\x00\x01'; from 4, 'tags': {1, 2}, 'frozen': frozenset([3]); in 5, 'ba': bytearray(b'xy').
  const golden: Record<number, string> = {
    2: 'gAJ9cQAoWAIAAABscnEBRz9QYk3S8an8WAUAAABiZXRhc3ECRz/szMzMzMzNRz/v987ZFocrhnEDWAYAAABwYXJhbXNxBF1xBShLAEsBSwJlWAQAAABuYW1lcQZYCAAAAGFkYW13IMOpcQdYBAAAAGZsYWdxCIhYBAAAAG5vbmVxCU5YAwAAAGJpZ3EKigkAAAAAAAAAAEBYAwAAAG5lZ3ELSpDu/v9YAgAAAG9kcQxjY29sbGVjdGlvbnMKT3JkZXJlZERpY3QKcQ0pUnEOWAEAAABhcQ9LAXN1Lg==',
    3: 'gAN9cQAoWAIAAABscnEBRz9QYk3S8an8WAUAAABiZXRhc3ECRz/szMzMzMzNRz/v987ZFocrhnEDWAYAAABwYXJhbXNxBF1xBShLAEsBSwJlWAQAAABuYW1lcQZYCAAAAGFkYW13IMOpcQdYBAAAAGZsYWdxCIhYBAAAAG5vbmVxCU5YAwAAAGJpZ3EKigkAAAAAAAAAAEBYAwAAAG5lZ3ELSpDu/v9YAgAAAG9kcQxjY29sbGVjdGlvbnMKT3JkZXJlZERpY3QKcQ0pUnEOWAEAAABhcQ9LAXNYBAAAAGJsb2JxEEMCAAFxEXUu',
    4: 'gASV1gAAAAAAAAB9lCiMAmxylEc/UGJN0vGp/IwFYmV0YXOURz/szMzMzMzNRz/v987ZFocrhpSMBnBhcmFtc5RdlChLAEsBSwJljARuYW1llIwIYWRhbXcgw6mUjARmbGFnlIiMBG5vbmWUTowDYmlnlIoJAAAAAAAAAABAjANuZWeUSpDu/v+MAm9klIwLY29sbGVjdGlvbnOUjAtPcmRlcmVkRGljdJSTlClSlIwBYZRLAXOMBGJsb2KUQwIAAZSMBHRhZ3OUj5QoSwFLApCMBmZyb3plbpQoSwORlHUu',
    5: 'gAWV5wAAAAAAAAB9lCiMAmxylEc/UGJN0vGp/IwFYmV0YXOURz/szMzMzMzNRz/v987ZFocrhpSMBnBhcmFtc5RdlChLAEsBSwJljARuYW1llIwIYWRhbXcgw6mUjARmbGFnlIiMBG5vbmWUTowDYmlnlIoJAAAAAAAAAABAjANuZWeUSpDu/v+MAm9klIwLY29sbGVjdGlvbnOUjAtPcmRlcmVkRGljdJSTlClSlIwBYZRLAXOMBGJsb2KUQwIAAZSMBHRhZ3OUj5QoSwFLApCMBmZyb3plbpQoSwORlIwCYmGUlgIAAAAAAAAAeHmUdS4=',
  };
  for (const [protocol, b64] of Object.entries(golden)) {
    const v = load(new Uint8Array(Buffer.from(b64, 'base64')));
    assert.ok(v instanceof Map, `protocol ${protocol}`);
    assert.equal(v.get('lr'), 0.001);
    assert.deepEqual(v.get('betas'), [0.9, 0.999]);
    assert.ok(isTuple(v.get('betas')) && !isTuple(v.get('params')));
    assert.deepEqual(v.get('params'), [0, 1, 2]);
    assert.equal(v.get('name'), 'adamw é');
    assert.equal(v.get('flag'), true);
    assert.equal(v.get('none'), null);
    assert.equal(v.get('big'), 2n ** 70n);
    assert.equal(v.get('neg'), -70000);
    assert.deepEqual(v.get('od'), new Map([['a', 1]]));
    if (Number(protocol) >= 3) assert.deepEqual(v.get('blob'), new Uint8Array([0, 1]));
    if (Number(protocol) >= 4) {
      assert.deepEqual(v.get('tags'), new Set([1, 2]));
      assert.deepEqual(v.get('frozen'), new Set([3]));
    }
    if (Number(protocol) === 5) assert.deepEqual(v.get('ba'), new TextEncoder().encode('xy'));
  }
});

test('BUILD on an OrderedDict keeps its attributes aside (state_dict _metadata)', () => {
  // OrderedDict() ; BUILD {'_metadata': {'': {'version': 1}}}
  const data = bytes(0x80, 2, 'c', 'collections\nOrderedDict\n', ')', 'R', '}', 'X', u32(9), '_metadata', '}', 'X', u32(0), '}', 'X', u32(7), 'version', 'K', 1, 's', 's', 's', 'b', '.');
  const v = load(data);
  assert.ok(v instanceof Map && v.size === 0);
  assert.deepEqual(attributesOf(v)?.get('_metadata'), new Map([['', new Map([['version', 1]])]]));
});

test('our pickle writer round-trips values through our reader', () => {
  const long = Array.from({ length: 2500 }, (_, i) => i * 3);
  const value = new Map<WritableValue, WritableValue>([
    ['ints', [0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 53) + 1]],
    ['bigs', [2n ** 100n, -(2n ** 70n) - 5n]],
    ['floats', [0.5, -0, 1e-8, Infinity, new PyFloat(1)]],
    ['tuples', [tuple(), tuple(1), tuple(1, 2), tuple(1, 2, 3), tuple(1, 2, 3, 4, 5)]],
    ['text', 'ünïcødé ✓'],
    [7, { nested: true, none: null }],
    ['long', long],
    ['dict', new Map(long.map((x) => [x, x] as [number, number]))],
  ]);
  const back = load(pickle(value)) as Map<PyValue, PyValue>;
  assert.deepEqual(back.get('ints'), [0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 53) + 1]);
  assert.deepEqual(back.get('bigs'), [2n ** 100n, -(2n ** 70n) - 5n]);
  assert.deepEqual(back.get('floats'), [0.5, -0, 1e-8, Infinity, 1]);
  const tuples = back.get('tuples') as PyValue[];
  assert.deepEqual(tuples, [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4, 5]]);
  assert.ok(tuples.every(isTuple));
  assert.equal(back.get('text'), 'ünïcødé ✓');
  assert.deepEqual(back.get(7), new Map<PyValue, PyValue>([['nested', true], ['none', null]]));
  assert.deepEqual(back.get('long'), long);
  assert.equal((back.get('dict') as Map<PyValue, PyValue>).size, 2500);
});

test('Python reads what our pickle writer writes', (t) => {
  if (!havePythonModule(t, 'pickle')) return;
  const tmp = makeTempDir('pickle-');
  t.after(() => tmp.remove());
  const file = join(tmp.dir, 'v.pkl');
  writeFileSync(file, pickle({ a: tuple(1, new PyFloat(2), [true, null]), big: 2n ** 70n, neg: -70000, s: 'é', f: 0.1 }));
  const stdout = runPython('-c', 'import pickle,sys; print(repr(pickle.load(open(sys.argv[1], "rb"))))', file);
  assert.equal(stdout.trim(), "{'a': (1, 2.0, [True, None]), 'big': 1180591620717411303424, 'neg': -70000, 's': 'é', 'f': 0.1}");
});
