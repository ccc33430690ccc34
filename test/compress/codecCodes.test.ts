// Quantization code streams: bit-exact round trips for every width, mask and context model; the
// models measure as the comments of codes.ts say; bad input and bad streams raise clear errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCodes, encodeCodes, type CodesModel } from '../../server/src/compress/codec/index.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** ExCP-like codes: `zeros` of them pruned, the others peaked around the middle code. */
function excpLike(n: number, bits: number, zeros: number, random: () => number): Uint8Array {
  const top = (1 << bits) - 1;
  return Uint8Array.from({ length: n }, () => {
    if (random() < zeros) return 0;
    const g = (random() + random() + random() - 1.5) / 1.5; // -1..1, peaked
    return Math.max(1, Math.min(top, Math.round(((g + 1) / 2) * (top - 1)) + 1));
  });
}

test('codes: round trips for every width 1..8, with and without models, masks and side symbols', () => {
  const random = seeded(1);
  for (let bits = 1; bits <= 8; bits++) {
    const n = 20_000 + bits;
    const codes = excpLike(n, bits, 0.3, random);
    const mask = Uint8Array.from(codes, (c) => (c !== 0 || random() < 0.5 ? 1 : 0));
    const side = Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
    for (const model of ['auto', 'order0', 'order1', 'side', 'static'] as const) {
      const ctx = model === 'side' ? { side } : {};
      const plain = encodeCodes(codes, bits, { model, ...ctx });
      assert.deepEqual(decodeCodes(plain, n, bits, ctx), codes, `${bits} bits, ${model}`);
      const masked = encodeCodes(codes, bits, { model, mask, ...ctx });
      assert.deepEqual(decodeCodes(masked, n, bits, { mask, ...ctx }), codes, `${bits} bits, ${model}, masked`);
    }
  }
});

test('codes: edge cases (empty, one code, all zero, all the top code, a long stream)', () => {
  const cases: Array<[string, Uint8Array, number]> = [
    ['empty', new Uint8Array(0), 4],
    ['one code', Uint8Array.of(9), 4],
    ['one zero', Uint8Array.of(0), 4],
    ['all zero', new Uint8Array(100_000), 4],
    ['all top', new Uint8Array(100_000).fill(255), 8],
    ['alternating', Uint8Array.from({ length: 10_001 }, (_, i) => (i & 1) * 15), 4],
  ];
  for (const [name, codes, bits] of cases) {
    const stream = encodeCodes(codes, bits);
    assert.deepEqual(decodeCodes(stream, codes.length, bits), codes, name);
  }
  // Constant streams cost next to nothing: 100K pruned positions in under 40 bytes.
  assert.ok(encodeCodes(new Uint8Array(100_000), 4).length < 40);
  const random = seeded(2);
  const big = excpLike(3_000_000, 4, 0.1, random);
  assert.deepEqual(decodeCodes(encodeCodes(big, 4), big.length, 4), big, '3M codes');
});

test('codes: the kept flag costs what a separate mask would; masks skip known zeros', () => {
  const random = seeded(3);
  const n = 200_000;
  // Kept positions clustered in runs (as in real masks): P(kept) depends on the previous position.
  const codes = new Uint8Array(n);
  let kept = false;
  for (let i = 0; i < n; i++) {
    kept = random() < (kept ? 0.8 : 0.05);
    codes[i] = kept ? 1 + Math.floor(random() * random() * 15) : 0;
  }
  const size = encodeCodes(codes, 4, { model: 'order0' }).length;
  // Bound from the source: flag entropy (first-order Markov) + code entropy of the kept ones.
  const keptCount = codes.reduce((s, c) => s + (c ? 1 : 0), 0);
  const counts = new Float64Array(16);
  for (const c of codes) if (c) counts[c]++;
  let codeBits = 0;
  for (const c of counts) if (c > 0) codeBits -= c * Math.log2(c / keptCount);
  const h = (p: number) => -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
  const stationaryKept = 0.05 / (0.05 + 0.2);
  const flagBits = n * (stationaryKept * h(0.8) + (1 - stationaryKept) * h(0.05));
  const bound = (flagBits + codeBits) / 8;
  assert.ok(size < bound * 1.03, `${size} bytes, source entropy ${bound.toFixed(0)}`);
  // Positions a mask rules out cost nothing.
  const mask = Uint8Array.from(codes, (c) => (c ? 1 : 0));
  const maskedSize = encodeCodes(codes, 4, { mask }).length;
  assert.ok(maskedSize < (codeBits / 8) * 1.03 + 40, `masked: ${maskedSize} for ${(codeBits / 8).toFixed(0)} of code entropy`);
});

test("codes: 'auto' picks order 1 when the previous code predicts the next, side symbols when they do", () => {
  const random = seeded(4);
  const n = 100_000;
  const chain = new Uint8Array(n);
  for (let i = 1; i < n; i++) chain[i] = random() < 0.9 ? ((chain[i - 1] % 15) + 1) : 1 + Math.floor(random() * 15);
  const sizes = (codes: Uint8Array, side?: Uint8Array) =>
    Object.fromEntries((['order0', 'order1', ...(side ? ['side'] : [])] as CodesModel[]).map((m) => [m, encodeCodes(codes, 4, { model: m, side }).length]));
  const chainSizes = sizes(chain);
  assert.ok(chainSizes.order1 < chainSizes.order0 * 0.5, JSON.stringify(chainSizes));
  assert.equal(encodeCodes(chain, 4).length, chainSizes.order1);

  const side = Uint8Array.from({ length: n }, () => Math.floor(random() * 16));
  const follows = Uint8Array.from(side, (s) => (random() < 0.95 ? s : Math.floor(random() * 16)));
  const sideSizes = sizes(follows, side);
  assert.ok(sideSizes.side < sideSizes.order0 * 0.5, JSON.stringify(sideSizes));
  assert.equal(encodeCodes(follows, 4, { side }).length, sideSizes.side);
  assert.deepEqual(decodeCodes(encodeCodes(follows, 4, { side }), n, 4, { side }), follows);

  // Rows that mostly repeat the row above (as lm_head's rows of unused tokens): the row model.
  const rowLength = 64;
  const rows = excpLike(n, 4, 0.1, random);
  for (let i = rowLength; i < n; i++) if (random() < 0.9) rows[i] = rows[i - rowLength];
  const rowSizes = { order0: encodeCodes(rows, 4, { model: 'order0' }).length, rows: encodeCodes(rows, 4, { model: 'rows', rowLength }).length };
  assert.ok(rowSizes.rows < rowSizes.order0 * 0.5, JSON.stringify(rowSizes));
  const auto = encodeCodes(rows, 4, { rowLength });
  assert.equal(auto.length, rowSizes.rows);
  assert.deepEqual(decodeCodes(auto, n, 4), rows, 'the row length travels in the stream');
});

test("codes: 'auto' takes static rANS on a large stationary stream (smaller, and ~20x faster to decode)", () => {
  const random = seeded(6);
  const n = 2_000_000;
  const codes = excpLike(n, 4, 0.11, random);
  const adaptive = encodeCodes(codes, 4, { model: 'order0' });
  const auto = encodeCodes(codes, 4);
  assert.ok(auto.length < adaptive.length, `auto ${auto.length}, adaptive order 0 ${adaptive.length}`);
  assert.equal(auto[1] >>> 4, 0b1011, 'the static model id (order 1, side and rows bits together), no mask');
  assert.deepEqual(decodeCodes(auto, n, 4), codes);
  const mask = Uint8Array.from(codes, (c) => (c !== 0 || random() < 0.5 ? 1 : 0));
  const masked = encodeCodes(codes, 4, { mask, model: 'static' });
  assert.deepEqual(decodeCodes(masked, n, 4, { mask }), codes);
});

test('codes: bad input is refused with the index', () => {
  assert.throws(() => encodeCodes(Uint8Array.of(1, 16), 4), /code 16 at index 1 does not fit in 4 bits/);
  assert.throws(() => encodeCodes(Uint8Array.of(0, 3), 4, { mask: Uint8Array.of(1, 0) }), /code 3 at index 1 lies outside the mask/);
  assert.throws(() => encodeCodes(Uint8Array.of(1), 9), /1\.\.8 bits/);
  assert.throws(() => encodeCodes(Uint8Array.of(1, 2), 4, { mask: Uint8Array.of(1) }), /the mask has 1 elements, the codes 2/);
  assert.throws(() => encodeCodes(Uint8Array.of(1), 4, { model: 'side' }), /needs the side symbols/);
  assert.throws(() => encodeCodes(Uint8Array.of(1), 4, { model: 'rows' }), /needs the row length/);
});

test('codes: streams must be decoded with what they were coded with', () => {
  const codes = Uint8Array.of(0, 1, 2, 3, 0, 0, 5);
  const mask = Uint8Array.of(1, 1, 1, 1, 0, 1, 1);
  const masked = encodeCodes(codes, 4, { mask });
  assert.throws(() => decodeCodes(masked, codes.length, 4), /coded under a mask: pass the same mask/);
  assert.throws(() => decodeCodes(encodeCodes(codes, 4), codes.length, 4, { mask }), /coded without a mask, but a mask was passed/);
  assert.throws(() => decodeCodes(encodeCodes(codes, 4), codes.length, 3), /coded with 4-bit codes, asked to decode 3-bit codes/);
  const side = encodeCodes(codes, 4, { model: 'side', side: codes });
  assert.throws(() => decodeCodes(side, codes.length, 4), /pass the same side symbols/);
  assert.throws(() => decodeCodes(Uint8Array.of(0xc2, 4, 0, 0, 0, 0), 1, 4, {}, 'codes of t'), /codes of t: this is a floatPlanes stream, not a codes stream \(byte offset 0\)/);
  assert.throws(() => decodeCodes(Uint8Array.of(0x42), 1, 4), /not a codec stream/);
});

test('codes: truncated or corrupt streams raise, never hang', () => {
  const random = seeded(5);
  const codes = excpLike(30_000, 4, 0.5, random);
  const stream = encodeCodes(codes, 4);
  for (const cut of [0, 1, 2, 5, stream.length >> 1, stream.length - 1]) {
    assert.throws(() => decodeCodes(stream.subarray(0, cut), codes.length, 4, {}, 'codes of t'), /codes of t: (truncated|corrupt)/, `cut at ${cut}`);
  }
  // Decoding more codes than were coded runs out of bytes; fewer leaves bytes over.
  assert.throws(() => decodeCodes(stream, codes.length + 1000, 4), /truncated|corrupt/);
  assert.throws(() => decodeCodes(stream, codes.length - 1000, 4), /corrupt/);
  let caught = 0;
  for (let at = 2; at < stream.length; at += 7) {
    const bad = stream.slice();
    bad[at] ^= 0x04;
    try {
      decodeCodes(bad, codes.length, 4);
    } catch (e) {
      assert.match((e as Error).message, /codes stream: (corrupt|truncated)/);
      caught++;
    }
  }
  const tried = Math.ceil((stream.length - 2) / 7);
  assert.ok(caught >= tried * 0.99, `caught ${caught} of ${tried}`);
});
