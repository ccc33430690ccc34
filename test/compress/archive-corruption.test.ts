// Damaged and hostile archives: every single-byte change is caught (naming the section when the
// byte belongs to one), every truncation is refused, and crafted files whose checksums are right but
// whose lengths, offsets or JSON are not give an ArchiveError, never a crash or a huge allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ArchiveError, ArchiveIncompleteError, describeSection, openArchive } from '../../server/src/compress/archive/archive.ts';
import { decodeTrailer, encodePreamble, encodeTrailer, type Trailer } from '../../server/src/compress/archive/format.ts';
import type { Region } from '../../server/src/compress/archive/regions.ts';
import { tempDirFactory } from '../helpers/tempDir.ts';
import { appendSample, createSample, sampleEntry } from './archiveFixtures.ts';

const tmp = tempDirFactory('ckpz-corrupt-');

/** Opens and fully verifies; returns the error it failed with, or undefined. */
async function failureOf(path: string): Promise<unknown> {
  try {
    const r = await openArchive(path);
    try {
      await r.verify();
    } finally {
      await r.close();
    }
    return undefined;
  } catch (e) {
    return e;
  }
}

async function smallSeries(dir: string): Promise<{ path: string; bytes: Buffer; firstSize: number; regions: Region[] }> {
  const path = join(dir, 'small.ckpz');
  await createSample(path, [sampleEntry(100, 3, 40)]);
  const firstSize = readFileSync(path).byteLength;
  await appendSample(path, [sampleEntry(200, 4, 30)]);
  const r = await openArchive(path);
  const regions = r.structure.regions;
  await r.close();
  return { path, bytes: readFileSync(path), firstSize, regions };
}

test('every single-byte change anywhere is detected, and a byte of a section names that section', async () => {
  const dir = tmp();
  const { bytes, regions } = await smallSeries(dir);
  const damaged = join(dir, 'damaged.ckpz');
  let named = 0;
  for (const mask of [0xff, 0x01]) {
    for (let i = 0; i < bytes.byteLength; i++) {
      const copy = Buffer.from(bytes);
      copy[i]! ^= mask === 0x01 ? 1 << (i % 8) : mask;
      writeFileSync(damaged, copy);
      const e = await failureOf(damaged);
      assert.ok(e instanceof ArchiveError, `byte ${i} (xor ${mask}): ${e === undefined ? 'not detected' : String(e)}`);
      assert.ok(e.message.startsWith(`${damaged}, byte `), e.message);
      const region = regions.find((r) => r.start <= i && i < r.end);
      if (region?.kind === 'section') {
        assert.ok(e.message.includes(describeSection(region.section)), `byte ${i}: ${e.message}`);
        assert.equal(e.section?.name, region.section.name);
        named++;
      }
    }
  }
  const sectionBytes = regions.reduce((n, r) => n + (r.kind === 'section' ? r.end - r.start : 0), 0);
  assert.equal(named, 2 * sectionBytes, 'every byte of every section record (head, payload, tail) is named');
});

test('a damaged payload: readSection names file, section, entry, kind and offset', async () => {
  const dir = tmp();
  const { path, bytes, regions } = await smallSeries(dir);
  const region = regions.find((r) => r.kind === 'section' && r.section.step === 200 && r.section.length > 0 && r.section.kind === 'w-codes');
  assert.ok(region?.kind === 'section');
  const s = region.section;
  const copy = Buffer.from(bytes);
  copy[s.offset + s.length - 1]! ^= 0x10;
  writeFileSync(path, copy);
  const r = await openArchive(path); // the index is intact: opening works, reading the section does not
  const expected = `${path}, byte ${s.offset}: section '${s.name}' (entry step 200, kind w-codes): checksum mismatch`;
  await assert.rejects(r.readSection(r.entries[1]!.sections.find((x) => x.name === s.name)!), { message: expected });
  await assert.rejects(async () => {
    for await (const _ of r.sectionChunks(s, 7)) void _;
  }, { message: expected });
  await assert.rejects(r.verify(), { message: expected });
  await r.close();
});

test('truncation at every offset is refused; only the exact end of an earlier state opens, as that state', async () => {
  const dir = tmp();
  const { bytes, firstSize } = await smallSeries(dir);
  const cut = join(dir, 'cut.ckpz');
  for (let n = 0; n < bytes.byteLength; n++) {
    writeFileSync(cut, bytes.subarray(0, n));
    const e = await failureOf(cut);
    if (n === firstSize) {
      assert.equal(e, undefined, 'the state before the append is complete on its own');
      const r = await openArchive(cut);
      assert.deepEqual(r.entries.map((x) => x.step), [100]);
      await r.close();
    } else {
      assert.ok(e instanceof ArchiveError, `cut at ${n}: ${String(e)}`);
      if (n > firstSize) assert.ok(e instanceof ArchiveIncompleteError, `cut at ${n} is an interrupted append: ${e.message}`);
    }
  }
});

// ---- crafted files: right checksums, wrong contents -------------------------------------------

function trailerOf(bytes: Buffer): Trailer {
  const t = decodeTrailer(bytes.subarray(bytes.byteLength - 48));
  assert.ok(!('problem' in t));
  return t;
}

/** The archive with its index replaced by `index` and a trailer whose checksums all match. */
function withIndexBytes(bytes: Buffer, index: Uint8Array): Buffer {
  const t = trailerOf(bytes);
  const head = Buffer.concat([bytes.subarray(0, t.indexOffset), index]);
  return Buffer.concat([head, encodeTrailer({ ...t, indexLength: index.byteLength, indexCrc: crc32(index), fileCrc: crc32(head) })]);
}

function withIndex(bytes: Buffer, mutate: (index: { entries: Array<{ sections: Array<Record<string, unknown>>; step: unknown }>; [k: string]: unknown }) => void): Buffer {
  const t = trailerOf(bytes);
  const index = JSON.parse(bytes.subarray(t.indexOffset, t.indexOffset + t.indexLength).toString('utf8'));
  mutate(index);
  return withIndexBytes(bytes, Buffer.from(JSON.stringify(index)));
}

test('crafted indexes with valid checksums are refused with a clear error', async () => {
  const dir = tmp();
  const path = join(dir, 'one.ckpz');
  await createSample(path, [sampleEntry(100, 3, 40)]);
  const good = readFileSync(path);
  const bad = join(dir, 'bad.ckpz');
  const cases: Array<[string, Buffer, RegExp]> = [
    ['huge section length', withIndex(good, (ix) => (ix.entries[0]!.sections[1]!.length = 2 ** 50)), /index: .*ends at byte|starts at byte/],
    ['overlapping sections', withIndex(good, (ix) => (ix.entries[0]!.sections[2]!.at = ix.entries[0]!.sections[1]!.at)), /overlap or leave a gap/],
    ['fractional offset', withIndex(good, (ix) => (ix.entries[0]!.sections[0]!.offset = 1.5)), /has bad offsets or CRC/],
    ['negative length', withIndex(good, (ix) => (ix.entries[0]!.sections[0]!.length = -3)), /has bad offsets or CRC/],
    ['string step', withIndex(good, (ix) => (ix.entries[0]!.step = '100')), /entries\[0\]\.step is "100"/],
    ['sections not a list', withIndex(good, (ix) => ((ix.entries[0] as Record<string, unknown>).sections = {})), /sections is not a list/],
    ['reserved kind', withIndex(good, (ix) => (ix.entries[0]!.sections[0]!.kind = '@entry')), /reserved kind/],
    ['attrs not an object', withIndex(good, (ix) => (ix.entries[0]!.sections[0]!.attrs = [1])), /attrs is not an object/],
    ['sequence disagrees', withIndex(good, (ix) => (ix.sequence = 2)), /index and trailer disagree/],
    ['not JSON', withIndexBytes(good, Buffer.from('{"entries": [')), /index is not valid JSON/],
    ['not UTF-8', withIndexBytes(good, Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d)), /index is not valid JSON/],
    ['a JSON array', withIndexBytes(good, Buffer.from('[]')), /index: not a JSON object/],
  ];
  for (const [what, bytes, message] of cases) {
    writeFileSync(bad, bytes);
    const e = await failureOf(bad);
    assert.ok(e instanceof ArchiveError, `${what}: ${String(e)}`);
    assert.match(e.message, message, what);
    assert.ok(e.message.startsWith(`${bad}, byte `), `${what}: ${e.message}`);
  }
});

test('crafted preambles and trailers, foreign and tiny files are refused', async () => {
  const dir = tmp();
  const path = join(dir, 'one.ckpz');
  await createSample(path, [sampleEntry(100, 2, 40)]);
  const good = readFileSync(path);
  const t = trailerOf(good);
  const bad = join(dir, 'bad.ckpz');
  const retrail = (patch: Partial<Trailer>) => Buffer.concat([good.subarray(0, good.byteLength - 48), encodeTrailer({ ...t, ...patch })]);
  const headerLength = good.readUInt32LE(12);
  const hugeHeader = Buffer.from(good);
  hugeHeader.writeUInt32LE(0xfffffff0, 12);
  const newer = Buffer.from(good);
  newer.writeUInt16LE(2, 8);
  const foreignPreamble = encodePreamble(Buffer.from('[1,2]'));
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty file', new Uint8Array(0), /not a \.ckpz archive/],
    ['garbage', Buffer.from('PK\u0003\u0004 this is a zip, not an archive'.repeat(5)), /not a \.ckpz archive/],
    ['only the magic', good.subarray(0, 10), /truncated: 10 bytes/],
    ['huge header length', hugeHeader, /archive header length 4294967280 runs past the end/],
    ['newer major version', newer, /format version 2\.0 is not readable/],
    ['header not an object', Buffer.concat([foreignPreamble, good.subarray(20 + headerLength)]), /archive header has no creator/],
    ['index length 2^40', retrail({ indexLength: 2 ** 40 }), /trailer puts the index at/],
    ['index before the preamble', retrail({ indexOffset: 3, indexLength: t.indexOffset + t.indexLength - 3 }), /trailer puts the index at 3/],
    ['wrong whole-file CRC', retrail({ fileCrc: (t.fileCrc + 1) >>> 0 }), /whole-archive checksum mismatch/],
    ['claims a previous trailer', retrail({ previousTrailer: 20 }), /index and trailer disagree/],
  ];
  for (const [what, bytes, message] of cases) {
    writeFileSync(bad, bytes);
    const e = await failureOf(bad);
    assert.ok(e instanceof ArchiveError, `${what}: ${String(e)}`);
    assert.match(e.message, message, what);
  }
});
