// Random damage to every kind of codec stream: decoding either raises an Error that names the
// stream, or (where the damage is undetectable, e.g. inside stored bytes: the archive's section
// checksums catch those) returns data of the right size. Never a hang, a crash or another error type.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBytes, decodeCodes, decodeFloatPlanes, encodeBytes, encodeCodes, encodeFloatPlanes } from '../../server/src/compress/codec/index.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const random = seeded(11);

function damaged(stream: Uint8Array): Uint8Array {
  const kind = Math.floor(random() * 4);
  const at = Math.floor(random() * stream.length);
  if (kind === 0) return stream.subarray(0, at); // truncated
  if (kind === 1) return Uint8Array.from([...stream.subarray(0, at), Math.floor(random() * 256), ...stream.subarray(at)]); // a byte inserted
  const bad = stream.slice();
  bad[at] ^= kind === 2 ? 1 << Math.floor(random() * 8) : 0xff; // a bit or a whole byte flipped
  return bad;
}

/** Decodes many damaged copies; returns how many raised. */
function attack(name: string, stream: Uint8Array, decode: (s: Uint8Array) => Uint8Array, expectedLength: number, tries = 300): number {
  let raised = 0;
  for (let k = 0; k < tries; k++) {
    const bad = damaged(stream);
    let out: Uint8Array;
    try {
      out = decode(bad);
    } catch (e) {
      assert.ok(e instanceof Error, `${name}: threw a non-Error ${String(e)}`);
      assert.ok(e.message.startsWith(name), `${name}: the error must name the stream: ${e.message}`);
      raised++;
      continue;
    }
    assert.equal(out.length, expectedLength, `${name}: undetected damage must still give the right size`);
  }
  return raised;
}

test('damaged code streams (adaptive, rows, masked, static) raise errors naming them', () => {
  const n = 20_000;
  const codes = Uint8Array.from({ length: n }, () => (random() < 0.2 ? 0 : 1 + Math.floor(random() * random() * 15)));
  const mask = Uint8Array.from(codes, (c) => (c !== 0 || random() < 0.3 ? 1 : 0));
  const cases = [
    { model: 'order0' as const },
    { model: 'rows' as const, rowLength: 100 },
    { model: 'order1' as const, mask },
    { model: 'static' as const, mask },
  ];
  for (const opts of cases) {
    const stream = encodeCodes(codes, 4, opts);
    const what = `codes (${opts.model})`;
    const raised = attack(what, stream, (s) => decodeCodes(s, n, 4, { mask: opts.mask }, what), n);
    // Range-coded and rANS streams end in a known state: nearly every damage is caught.
    assert.ok(raised >= 290, `${what}: ${raised} of 300 damaged streams raised`);
  }
});

test('damaged float-plane streams raise errors naming them, or decode to the right size', () => {
  const n = 8_000;
  const f = Float32Array.from({ length: n }, () => (random() - 0.5) * 0.1);
  const bytes = new Uint8Array(f.buffer);
  for (const methods of [undefined, ['order0' as const], ['rans' as const], ['brotli' as const], ['stored' as const]]) {
    const stream = encodeFloatPlanes(bytes, 'F32', undefined, methods ? { methods } : {});
    const what = `planes (${methods?.[0] ?? 'chosen'})`;
    attack(what, stream, (s) => decodeFloatPlanes(s, 'F32', undefined, { what }), bytes.length);
  }
});

test('damaged byte streams raise errors naming them, or decode to the right size', (t) => {
  const text = new TextEncoder().encode(JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ i, x: Math.sin(i) }))));
  const stream = encodeBytes(text);
  const raised = attack('trainer_state', stream, (s) => decodeBytes(s, { what: 'trainer_state' }), text.length);
  // Brotli notices most damage (measured 233 of 300); the rest decodes to other bytes of the same length.
  t.diagnostic(`${raised} of 300 damaged brotli streams raised`);
});
