// Lossless float byte planes and general byte streams: bit-exact round trips for every dtype and
// special bit pattern, with and without a reference; the per-plane choice; bad streams rejected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBytes, decodeFloatPlanes, encodeBytes, encodeFloatPlanes, type PlaneDType, type PlaneReport } from '../../server/src/compress/codec/index.ts';
import { mergePlanes, splitPlanes } from '../../server/src/compress/codec/bytePlanes.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-300)) * Math.cos(2 * Math.PI * random());
}

/** Weight-like values of `dtype` as raw bytes, with every special bit pattern mixed in. */
function weights(n: number, dtype: PlaneDType, random: () => number): Uint8Array {
  const f32 = Float32Array.from({ length: n }, () => 0.02 * gaussian(random));
  const specials = [NaN, -NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 65504, 6e-8];
  for (let k = 0; k < specials.length && k < n; k++) f32[Math.floor(random() * n)] = specials[k];
  const u32 = new Uint32Array(f32.buffer);
  if (dtype === 'F32') {
    if (n > 2) u32[1] = 0x7fc00001; // a NaN with a payload
    if (n > 3) u32[2] = 0xffffffff; // negative NaN, all mantissa bits set
    return new Uint8Array(f32.buffer);
  }
  // Half formats: the top 16 bits (BF16) or an exact F16 pattern from random bits for specials.
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = dtype === 'BF16' ? u32[i] >>> 16 : f32ToF16Bits(f32[i]);
  if (n > 3) out.set([0x7c01, 0xfe00, 0x0001], 1); // F16 NaN with payload / BF16 negative NaN / smallest subnormal
  return new Uint8Array(out.buffer);
}

function f32ToF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -24) return sign;
  const e = Math.max(-14, Math.floor(Math.log2(a)));
  const m = Math.round(a / 2 ** (e - 10));
  return e === -14 && m < 1024 ? sign | m : sign | ((e + 15) << 10) | (m - 1024);
}

test('planes: split and merge are inverse for every dtype, with and without a reference', () => {
  const random = seeded(1);
  for (const [dtype, size] of [['F32', 4], ['BF16', 2], ['F16', 2]] as const) {
    const data = weights(1001, dtype, random);
    const ref = weights(1001, dtype, random);
    for (const r of [undefined, ref]) {
      const planes = splitPlanes(data, size, r);
      assert.equal(planes.length, size);
      assert.deepEqual(mergePlanes(planes, 1001, size, r), data);
    }
  }
  // The top plane holds the exponent alone (sign rotated to the bottom): +1.0 and -1.0 share it.
  const ones = new Uint8Array(Float32Array.of(1, -1).buffer);
  const [top, , , bottom] = splitPlanes(ones, 4);
  assert.deepEqual([...top], [127, 127]);
  assert.deepEqual([...bottom], [0, 1]);
});

test('planes: bit-exact round trips (every dtype, NaN/Inf/-0/subnormal patterns, empty, one element, unaligned)', () => {
  const random = seeded(2);
  for (const dtype of ['F32', 'BF16', 'F16'] as const) {
    for (const n of [0, 1, 2, 5, 4097, 100_000]) {
      const data = weights(n, dtype, random);
      const stream = encodeFloatPlanes(data, dtype);
      assert.deepEqual(decodeFloatPlanes(stream, dtype), data, `${dtype} x${n}`);
      const ref = weights(n, dtype, random);
      assert.deepEqual(decodeFloatPlanes(encodeFloatPlanes(data, dtype, ref), dtype, ref), data, `${dtype} x${n} against a reference`);
    }
    // A view at an odd byte offset (tensors inside a file buffer need not be aligned).
    const backing = new Uint8Array(4 * 1000 + 1);
    const data = weights(1000, dtype, random);
    backing.set(data, 1);
    const view = backing.subarray(1, 1 + data.length);
    assert.deepEqual(decodeFloatPlanes(encodeFloatPlanes(view, dtype, view), dtype, view), data);
  }
});

test('planes: the exponent plane compresses, mantissa planes are stored; sizes as measured', () => {
  const random = seeded(3);
  const n = 200_000;
  const report: PlaneReport[] = [];
  const data = weights(n, 'F32', random);
  const stream = encodeFloatPlanes(data, 'F32', undefined, { report });
  assert.equal(report.length, 4);
  // N(0, 0.02) floats: the exponent byte holds ~2.6 bits of information.
  assert.ok(report[0].bytes < n * 0.34, `exponent plane ${report[0].bytes} bytes`);
  for (const p of report.slice(1)) assert.ok(p.bytes <= n, JSON.stringify(p));
  assert.equal(report[3].method, 'stored');
  const ratio = data.length / stream.length;
  assert.ok(ratio > 1.18 && ratio < 1.25, `F32 ratio ${ratio.toFixed(3)}`);

  const bf16Report: PlaneReport[] = [];
  const bf16 = weights(n, 'BF16', random);
  const bf16Ratio = bf16.length / encodeFloatPlanes(bf16, 'BF16', undefined, { report: bf16Report }).length;
  assert.ok(bf16Ratio > 1.45, `BF16 ratio ${bf16Ratio.toFixed(3)} (${JSON.stringify(bf16Report)})`);
});

test('planes: XOR against a close reference shrinks the stream', () => {
  const random = seeded(4);
  const n = 100_000;
  const before = new Float32Array(new Uint8Array(weights(n, 'F32', random)).buffer);
  const after = Float32Array.from(before, (x) => (Number.isFinite(x) ? x + 1e-4 * x * gaussian(random) : x));
  const bytes = new Uint8Array(after.buffer);
  const alone = encodeFloatPlanes(bytes, 'F32').length;
  const xored = encodeFloatPlanes(bytes, 'F32', new Uint8Array(before.buffer)).length;
  assert.ok(xored < alone * 0.85, `alone ${alone}, against the reference ${xored}`);
});

test('planes: a plane beyond the trial size is chosen from samples and still round-trips', () => {
  const random = seeded(5);
  const n = 600_000; // planes above TRIAL_BYTES (256 KiB)
  const data = weights(n, 'BF16', random);
  const report: PlaneReport[] = [];
  const stream = encodeFloatPlanes(data, 'BF16', undefined, { report });
  assert.deepEqual(decodeFloatPlanes(stream, 'BF16'), data);
  assert.equal(report[0].method, 'rans'); // large stationary plane: static model, fastest within 1%
  assert.ok(report[0].bytes < n * 0.34);
  // Methods can be restricted, e.g. to the fastest-decoding ones.
  const storedOnly = encodeFloatPlanes(data, 'BF16', undefined, { methods: ['stored'] });
  assert.equal(storedOnly.length, data.length + 3 + 3 + 2 * (1 + 3));
  assert.deepEqual(decodeFloatPlanes(storedOnly, 'BF16'), data);
});

test('planes: bad input and bad streams raise clear errors', () => {
  const random = seeded(6);
  const data = weights(3000, 'F32', random);
  assert.throws(() => encodeFloatPlanes(data.subarray(0, 10), 'F32'), /not a whole number of 4-byte elements/);
  assert.throws(() => encodeFloatPlanes(data, 'F32', data.subarray(0, 8)), /reference has 8 bytes, the data 12000/);
  assert.throws(() => encodeFloatPlanes(data, 'F64' as PlaneDType), /support F32, BF16 and F16, not F64/);
  const stream = encodeFloatPlanes(data, 'F32');
  assert.throws(() => decodeFloatPlanes(stream, 'BF16'), /holds F32 data, BF16 expected/);
  assert.throws(() => decodeFloatPlanes(stream, 'F32', data), /coded without a reference, but a reference was passed/);
  const xored = encodeFloatPlanes(data, 'F32', data);
  assert.throws(() => decodeFloatPlanes(xored, 'F32'), /coded against a reference: pass the same reference/);
  for (const cut of [0, 1, 3, 5, stream.length >> 1, stream.length - 1]) {
    assert.throws(() => decodeFloatPlanes(stream.subarray(0, cut), 'F32', undefined, { what: 'tensor t' }), /tensor t.*(truncated|corrupt)/, `cut at ${cut}`);
  }
  const badMethod = stream.slice();
  badMethod[5] = 99; // the first plane's method id (kind, dtype, flags, 2-byte count)
  assert.throws(() => decodeFloatPlanes(badMethod, 'F32', undefined, { what: 'tensor t' }), /tensor t: corrupt: unknown method id for plane 0 \(byte offset 5\)/);
  assert.throws(() => decodeFloatPlanes(Uint8Array.from([...stream, 0]), 'F32'), /1 unexpected byte\(s\) after the end/);
  // The caller's expected size is checked before anything is allocated: a corrupt element count
  // (here 2^31 elements, 8 GiB) is refused with or without it.
  assert.throws(() => decodeFloatPlanes(stream, 'F32', undefined, { expectedBytes: 4 }), /holds 12000 bytes, 4 expected/);
  const huge = Uint8Array.from([0xc2, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x08, ...stream.subarray(5)]);
  assert.throws(() => decodeFloatPlanes(huge, 'F32'), /corrupt: 8589934592 bytes exceed the largest supported payload/);
});

test('bytes: round trips and brotli on text; bad streams raise', () => {
  const json = new TextEncoder().encode(JSON.stringify({ global_step: 200, log_history: Array.from({ length: 200 }, (_, i) => ({ step: i, loss: 2 + 1 / (i + 1) })) }));
  const stream = encodeBytes(json);
  assert.deepEqual(decodeBytes(stream), json);
  assert.ok(stream.length < json.length / 5, `${json.length} -> ${stream.length}`);
  const random = seeded(7);
  const noise = Uint8Array.from({ length: 5000 }, () => Math.floor(random() * 256));
  const stored = encodeBytes(noise);
  assert.equal(stored.length, noise.length + 4); // kind, method, 2-byte length: stored
  assert.deepEqual(decodeBytes(stored), noise);
  assert.deepEqual(decodeBytes(encodeBytes(new Uint8Array(0))), new Uint8Array(0));
  for (const cut of [0, 1, 2, 3, stream.length - 1]) assert.throws(() => decodeBytes(stream.subarray(0, cut), { what: 'skeleton' }), /skeleton.*(truncated|corrupt)/, `cut at ${cut}`);
  assert.throws(() => decodeBytes(stored.subarray(0, stored.length - 1)), /corrupt: 4999 stored bytes, 5000 expected/);
  assert.throws(() => decodeBytes(encodeCodesLike()), /this is a codes stream, not a bytes stream/);
  assert.throws(() => decodeBytes(stored, { what: 'skeleton', expectedBytes: 4999 }), /skeleton: holds 5000 bytes, 4999 expected/);
});

function encodeCodesLike(): Uint8Array {
  return Uint8Array.of(0xc1, 4, 0, 0, 0, 0);
}
