// Codebooks of ALGORITHMS.md §2 and the nearest-entry lookup (PyTorch's argmin |x - T| semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODEBOOK_KINDS, dynamicExponentCodebook, makeCodebook, NearestLookup } from '../../kernels/src/codebooks.ts';

const f32 = (xs: number[]) => Float32Array.from(xs);

test('4-bit codebooks are exactly the published tables', () => {
  assert.deepEqual(makeCodebook('de-signed').values, f32([-0.8875, -0.6625, -0.4375, -0.2125, -0.0775, -0.0325, -0.0055, 0, 0.0055, 0.0325, 0.0775, 0.2125, 0.4375, 0.6625, 0.8875, 1]));
  assert.deepEqual(makeCodebook('de-unsigned').values, f32([0, 0.00325, 0.00775, 0.02125, 0.04375, 0.06625, 0.08875, 0.15625, 0.26875, 0.38125, 0.49375, 0.60625, 0.71875, 0.83125, 0.94375, 1]));
  assert.deepEqual(makeCodebook('de0').values, f32([0.00325, 0.00325, 0.00775, 0.02125, 0.04375, 0.06625, 0.08875, 0.15625, 0.26875, 0.38125, 0.49375, 0.60625, 0.71875, 0.83125, 0.94375, 1]));
  assert.deepEqual(makeCodebook('linear-zero').values, f32(Array.from({ length: 16 }, (_, k) => k / 15)));
  assert.deepEqual(makeCodebook('linear-nozero').values, f32(Array.from({ length: 16 }, (_, k) => (k + 1) / 16)));
  assert.deepEqual(makeCodebook('linear-signed').values, f32(Array.from({ length: 16 }, (_, k) => -1 + (2 * k) / 15)));
});

test('the dynamic-exponent construction reproduces the 4-bit tables and bitsandbytes 8-bit layout', () => {
  assert.deepEqual(dynamicExponentCodebook(4, true), makeCodebook('de-signed', 4).values);
  assert.deepEqual(dynamicExponentCodebook(4, false), makeCodebook('de-unsigned', 4).values);
  const de2 = dynamicExponentCodebook(2, true);
  assert.deepEqual(de2, f32([-0.55, 0, 0.55, 1]));
  const de8 = dynamicExponentCodebook(8, true);
  // bitsandbytes' default signed map: smallest magnitude 1e-6 * 0.55, 127 negatives, 0 and 1
  assert.equal(de8[127], 0);
  assert.equal(de8[128], Math.fround(0.55e-6));
  assert.equal(de8.filter((v) => v < 0).length, 127);
});

test('every kind and width b = 2..8 has 2^b ascending entries in the right range', () => {
  for (const kind of CODEBOOK_KINDS) {
    for (let b = 2; b <= 8; b++) {
      const { values } = makeCodebook(kind, b);
      assert.equal(values.length, 2 ** b, `${kind} ${b}`);
      for (let i = 1; i < values.length; i++) assert.ok(values[i]! >= values[i - 1]!, `${kind} ${b} sorted at ${i}`);
      assert.equal(values[values.length - 1], 1);
      const signed = kind === 'de-signed' || kind === 'linear-signed';
      assert.ok(signed ? values[0]! < 0 : values[0]! >= 0, `${kind} ${b}`);
      assert.equal(values.includes(0), kind === 'de-signed' || kind === 'de-unsigned' || kind === 'linear-zero', `${kind} ${b} zero`);
    }
  }
  assert.throws(() => makeCodebook('de-signed', 9), /2\.\.8/);
});

/** PyTorch's argmin(|x - T|) on float32: float32 differences, the first minimum wins. */
function argmin(x: number, T: Float32Array): number {
  let best = 0;
  for (let k = 1; k < T.length; k++) if (Math.abs(Math.fround(x - T[k]!)) < Math.abs(Math.fround(x - T[best]!))) best = k;
  return best;
}

test('lookup equals argmin |x - T| on float32, ties to the lower index, for every codebook', () => {
  let s = 1;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  const probe = new Float32Array(1);
  const u = new Uint32Array(probe.buffer);
  for (const kind of CODEBOOK_KINDS) {
    for (const b of [2, 4, 8]) {
      const T = makeCodebook(kind, b).values;
      const L = new NearestLookup(T);
      const xs: number[] = [];
      for (let i = 0; i < 3000; i++) xs.push(Math.fround((rnd() * 2 - 1) ** 3));
      // exact midpoints and their float32 neighbours, the entries themselves, out of range, zeros
      for (let k = 0; k + 1 < T.length; k++) {
        probe[0] = (T[k]! + T[k + 1]!) / 2;
        for (const d of [-2, -1, 0, 1, 2]) {
          const p = new Float32Array(1);
          new Uint32Array(p.buffer)[0] = u[0]! + d;
          xs.push(p[0]!);
        }
        xs.push(T[k]!);
      }
      xs.push(-1, 1, -2, 2, 0, -0, 1e-30, -1e-30, -Infinity);
      for (const x of xs) assert.equal(L.index(x), argmin(x, T), `${kind}${b} x=${x}`);
      assert.equal(L.index(Infinity), T.length - 1);
    }
  }
});

test('ties: an exact midpoint goes to the lower entry, a duplicated entry to its first copy', () => {
  const L = new NearestLookup(f32([0, 0.5, 1]));
  assert.equal(L.index(0.25), 0);
  assert.equal(L.index(0.75), 1);
  assert.equal(L.index(Math.fround(0.25 + 2 ** -25)), 1);
  const D = new NearestLookup(makeCodebook('de0').values);
  assert.equal(D.index(0.001), 0);
  assert.equal(D.index(0.004), 0);
  assert.equal(D.nearest(0.004), Math.fround(0.00325));
  assert.equal(new NearestLookup(f32([-1, 1])).index(NaN), 0);
});

test('lookup refuses unsorted, non-finite or too short codebooks', () => {
  assert.throws(() => new NearestLookup(f32([1, 0])), /not sorted/);
  assert.throws(() => new NearestLookup(f32([0, NaN])), /not finite/);
  assert.throws(() => new NearestLookup(f32([0])), /at least 2/);
});
