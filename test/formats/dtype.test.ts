import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toFloat32 } from '../../server/src/formats/dtype.ts';

test('BF16, F16 and FP8 convert exactly', () => {
  const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x0001]).buffer);
  assert.deepEqual(Array.from(toFloat32(bf16, 'BF16')), [1, -2, Infinity, 2 ** -133]);
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001, 0x7bff]).buffer);
  assert.deepEqual(Array.from(toFloat32(f16, 'F16')), [1, -2, Infinity, 2 ** -24, 65504]);
  assert.ok(Number.isNaN(toFloat32(new Uint8Array(new Uint16Array([0x7e00]).buffer), 'F16')[0]));
  // E4M3: 0x7e = 448 (largest finite), 0x7f = NaN, 0x01 = smallest subnormal 2^-9.
  assert.deepEqual(Array.from(toFloat32(new Uint8Array([0x38, 0x7e, 0x01]), 'F8_E4M3')), [1, 448, 2 ** -9]);
  assert.ok(Number.isNaN(toFloat32(new Uint8Array([0x7f]), 'F8_E4M3')[0]));
  // E5M2: 0x3c = 1, 0x7b = 57344 (largest finite), 0x7c = inf.
  assert.deepEqual(Array.from(toFloat32(new Uint8Array([0x3c, 0x7b, 0x7c]), 'F8_E5M2')), [1, 57344, Infinity]);
});

test('integer dtypes and unaligned input convert', () => {
  const buf = new Uint8Array(9);
  new DataView(buf.buffer).setFloat32(1, 1.5, true);
  new DataView(buf.buffer).setFloat32(5, -3, true);
  assert.deepEqual(Array.from(toFloat32(buf.subarray(1), 'F32')), [1.5, -3]);
  const i64 = new Uint8Array(new BigInt64Array([-5n, 7n]).buffer);
  assert.deepEqual(Array.from(toFloat32(i64, 'I64')), [-5, 7]);
  assert.deepEqual(Array.from(toFloat32(new Uint8Array([255, 1]), 'I8')), [-1, 1]);
});
