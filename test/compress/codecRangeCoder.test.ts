// The adaptive binary range coder and the static rANS byte coder: bit-exact round trips, sizes close
// to the entropy, and bad streams (truncated, corrupt) rejected with clear errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RangeDecoder, RangeEncoder, newBitModels } from '../../server/src/compress/codec/rangeCoder.ts';
import { ransDecode, ransEncode } from '../../server/src/compress/codec/rans.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Bits with P(1) = p, coded in one context, plus a few direct bits; returns the stream. */
function codeBits(bits: Uint8Array, direct: number[]): Uint8Array {
  const enc = new RangeEncoder(4);
  const models = newBitModels(1);
  for (const b of bits) enc.encodeBit(models, 0, b);
  for (const d of direct) enc.encodeDirect(d, 20);
  return enc.finish().slice();
}

function decodeBits(stream: Uint8Array, n: number, directCount: number): { bits: Uint8Array; direct: number[] } {
  const dec = new RangeDecoder(stream, 'test stream');
  const models = newBitModels(1);
  const bits = new Uint8Array(n);
  for (let i = 0; i < n; i++) bits[i] = dec.decodeBit(models, 0);
  const direct = Array.from({ length: directCount }, () => dec.decodeDirect(20));
  dec.finish();
  return { bits, direct };
}

test('range coder: skewed bits round-trip and cost close to their entropy', () => {
  const random = seeded(1);
  for (const p of [0.5, 0.1, 0.01, 0.0001]) {
    const n = 200_000;
    const bits = Uint8Array.from({ length: n }, () => (random() < p ? 1 : 0));
    const direct = [0, 1, 0xfffff, 123456];
    const stream = codeBits(bits, direct);
    const back = decodeBits(stream, n, direct.length);
    assert.deepEqual(back.bits, bits);
    assert.deepEqual(back.direct, direct);
    const ones = bits.reduce((s, b) => s + b, 0);
    const q = ones / n;
    const entropyBytes = q === 0 ? 0 : (n * -(q * Math.log2(q) + (1 - q) * Math.log2(1 - q))) / 8;
    // Adaptive estimates pay for learning and for the fast estimate's noise: a few percent, plus
    // the floor of ~0.0015 bits per decision at the most confident probability.
    assert.ok(stream.length <= entropyBytes * 1.04 + n * 0.0003 + 80 + 10, `p=${p}: ${stream.length} bytes for ${entropyBytes.toFixed(0)} of entropy`);
  }
});

test('range coder: nothing coded is 4 bytes and decodes', () => {
  const stream = codeBits(new Uint8Array(0), []);
  assert.equal(stream.length, 4);
  decodeBits(stream, 0, 0);
});

test('range coder: a truncated stream raises instead of inventing bytes', () => {
  const random = seeded(2);
  const bits = Uint8Array.from({ length: 5000 }, () => (random() < 0.3 ? 1 : 0));
  const stream = codeBits(bits, []);
  for (const cut of [0, 1, 3, stream.length >> 1, stream.length - 1]) {
    assert.throws(() => decodeBits(stream.subarray(0, cut), bits.length, 0), /test stream: (truncated|corrupt)/, `cut at ${cut}`);
  }
  // Extra bytes after the end are corruption too.
  assert.throws(() => decodeBits(Uint8Array.from([...stream, 0]), bits.length, 0), /left over/);
});

test('range coder: corrupting any byte is caught (by the final-state check) nearly always', () => {
  const random = seeded(3);
  const bits = Uint8Array.from({ length: 20_000 }, () => (random() < 0.2 ? 1 : 0));
  const stream = codeBits(bits, []);
  let caught = 0;
  for (let at = 0; at < stream.length; at++) {
    const bad = stream.slice();
    bad[at] ^= 1 << (at % 8);
    try {
      const back = decodeBits(bad, bits.length, 0);
      // Undetected: must then at least decode something (a flip cannot go unnoticed AND decode the same bits).
      assert.notDeepEqual(back.bits, bits);
    } catch (e) {
      assert.match((e as Error).message, /test stream: (corrupt|truncated)/);
      caught++;
    }
  }
  assert.ok(caught >= stream.length * 0.99, `caught ${caught} of ${stream.length} single-bit corruptions`);
});

test('rANS: round trips (empty, one symbol, two symbols, odd lengths, all 256 values, skewed)', () => {
  const random = seeded(4);
  const cases: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.of(7)],
    ['constant', new Uint8Array(100_001).fill(200)],
    ['two symbols, odd length', Uint8Array.from({ length: 12_345 }, () => (random() < 0.999 ? 3 : 250))],
    ['all 256 values', Uint8Array.from({ length: 70_000 }, () => Math.floor(random() * 256))],
    ['geometric', Uint8Array.from({ length: 300_000 }, () => Math.min(255, Math.floor(-Math.log(random() + 1e-12) * 3)))],
  ];
  for (const [name, data] of cases) {
    const stream = ransEncode(data);
    assert.deepEqual(ransDecode(stream, data.length, name), data, name);
  }
  // A constant plane costs a header and the two states, whatever its length.
  assert.equal(ransEncode(new Uint8Array(1 << 20).fill(9)).length, 13);
});

test('rANS: sizes within 0.5% of the order-0 entropy on a large skewed buffer', () => {
  const random = seeded(5);
  const n = 1 << 20;
  const data = Uint8Array.from({ length: n }, () => Math.min(255, Math.floor(-Math.log(random() + 1e-12) * 4)));
  const counts = new Float64Array(256);
  for (const b of data) counts[b]++;
  let bits = 0;
  for (const c of counts) if (c > 0) bits -= c * Math.log2(c / n);
  const size = ransEncode(data).length;
  assert.ok(size < (bits / 8) * 1.005 + 600, `${size} bytes for ${(bits / 8).toFixed(0)} of entropy`);
});

test('rANS: truncated, extended and corrupt streams raise', () => {
  const random = seeded(6);
  const data = Uint8Array.from({ length: 50_000 }, () => Math.floor(random() * random() * 64));
  const stream = ransEncode(data);
  for (const cut of [0, 1, 20, stream.length >> 1, stream.length - 1]) {
    assert.throws(() => ransDecode(stream.subarray(0, cut), data.length, 'plane'), /plane: (truncated|corrupt)/, `cut at ${cut}`);
  }
  assert.throws(() => ransDecode(Uint8Array.from([...stream, 1]), data.length, 'plane'), /plane: corrupt: 1 byte\(s\) left over/);
  let caught = 0;
  const body = stream.length - 2000;
  for (let at = body; at < stream.length; at++) {
    const bad = stream.slice();
    bad[at] ^= 0x10;
    try {
      ransDecode(bad, data.length, 'plane');
    } catch (e) {
      assert.match((e as Error).message, /plane: (corrupt|truncated)/);
      caught++;
    }
  }
  assert.ok(caught >= 2000 * 0.99, `caught ${caught} of 2000 corrupted body bytes`);
  // A frequency table that does not add up.
  const badTable = stream.slice();
  badTable[2] ^= 0x01;
  assert.throws(() => ransDecode(badTable, data.length, 'plane'), /plane: corrupt/);
});
