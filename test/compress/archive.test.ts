// The .ckpz container: round trips, appends that leave the earlier bytes untouched, aborts and
// failures that leave nothing (or the original) behind, and refusals that keep the writer usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { appendToArchive, ArchiveUsageError, createArchive, openArchive } from '../../server/src/compress/archive/archive.ts';
import { tempDirFactory } from '../helpers/tempDir.ts';
import { appendSample, assertArchiveHolds, chunked, createSample, pattern, sampleEntry } from './archiveFixtures.ts';

const tmp = tempDirFactory('ckpz-test-');

test('round trip: 3 entries x 60 sections (empty, buffered and streamed) come back byte for byte', async () => {
  const path = join(tmp(), 'run.ckpz');
  const entries = [sampleEntry(100, 60, 5000), sampleEntry(200, 60, 5000), sampleEntry(300, 60, 5000)];
  await createSample(path, entries);
  await assertArchiveHolds(path, entries);

  const r = await openArchive(path);
  try {
    assert.deepEqual(r.header, { creator: 'archive tests', description: 'series' });
    assert.deepEqual(r.version, { major: 1, minor: 0 });
    assert.equal(r.sequence, 1);
    assert.equal(r.entry(200)?.label, 'checkpoint-200');
    assert.equal(r.entry(200)?.mode, 'excp');
    assert.equal(r.entry(400), undefined);
    const s = r.entries[2]!.sections[7]!;
    assert.equal(s.entry, 2);
    assert.equal(s.step, 300);
    assert.equal(s.crc, crc32(entries[2]!.sections[7]!.bytes));
    // Chunked reading gives the same bytes whatever the chunk size.
    const parts: Uint8Array[] = [];
    for await (const c of r.sectionChunks(s, 100)) parts.push(c);
    assert.deepEqual(new Uint8Array(Buffer.concat(parts)), entries[2]!.sections[7]!.bytes);
    assert.ok(parts.length > 1);
    const seen: number[] = [];
    const report = await r.verify({ onProgress: (done, total) => seen.push(done / total) });
    const size = readFileSync(path).byteLength;
    assert.deepEqual(report, { entries: 3, sections: 180, bytes: size, fileCrc: crc32(readFileSync(path).subarray(0, size - 48)) });
    assert.ok(seen.every((x, i) => i === 0 || x >= seen[i - 1]!), 'progress never goes back');
    assert.equal(seen.at(-1), 1);
  } finally {
    await r.close();
  }
  assert.deepEqual(readdirSync(join(path, '..')), ['run.ckpz'], 'no temporary file left');
});

test('appending twice keeps every earlier byte and reads all entries back', async () => {
  const path = join(tmp(), 'series.ckpz');
  const e1 = sampleEntry(100, 5, 3000);
  const e2 = sampleEntry(200, 5, 3000);
  const e3 = sampleEntry(300, 5, 3000);
  await createSample(path, [e1]);
  const first = readFileSync(path);
  await appendSample(path, [e2]);
  const second = readFileSync(path);
  await appendSample(path, [e3]);
  const third = readFileSync(path);
  assert.deepEqual(second.subarray(0, first.byteLength), first, 'the first append rewrote nothing');
  assert.deepEqual(third.subarray(0, second.byteLength), second, 'the second append rewrote nothing');
  await assertArchiveHolds(path, [e1, e2, e3]);
  const r = await openArchive(path);
  assert.equal(r.sequence, 3);
  assert.deepEqual(
    r.structure.index.superseded.map((s) => s.trailer + 48),
    [first.byteLength, second.byteLength],
  );
  await r.close();
});

test('an archive with no entries can be created and appended to', async () => {
  const path = join(tmp(), 'empty.ckpz');
  const w = await createArchive(path, { creator: 't' });
  assert.deepEqual(await w.close(), { file: path, size: readFileSync(path).byteLength, entries: 0, sequence: 1 });
  const e = sampleEntry(7, 3, 100);
  await appendSample(path, [e]);
  await assertArchiveHolds(path, [e]);
});

test('abort, a failing stream and an AbortSignal all leave no archive and no temporary file', async () => {
  const dir = tmp();
  const path = join(dir, 'out.ckpz');

  const w1 = await createArchive(path, { creator: 't' });
  await w1.beginEntry({ step: 1, mode: 'lossless' });
  await w1.addSection({ kind: 'w', name: 'a' }, pattern(3 << 20, 1));
  await w1.abort();
  await w1.abort(); // idempotent
  assert.deepEqual(readdirSync(dir), []);
  await assert.rejects(w1.addSection({ kind: 'w', name: 'b' }, new Uint8Array(1)), /aborted/);

  const w2 = await createArchive(path, { creator: 't' });
  await w2.beginEntry({ step: 1, mode: 'lossless' });
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield pattern(2 << 20, 2);
    throw new Error('codec exploded');
  }
  await assert.rejects(w2.addSection({ kind: 'w', name: 'a' }, failing()), /codec exploded/);
  assert.deepEqual(readdirSync(dir), []);
  await assert.rejects(w2.close(), /codec exploded/, 'the writer is dead after a failure');

  const ac = new AbortController();
  const w3 = await createArchive(path, { creator: 't' }, { signal: ac.signal });
  await w3.beginEntry({ step: 1, mode: 'lossless' });
  async function* cancelled(): AsyncGenerator<Uint8Array> {
    for (let i = 0; ; i++) {
      if (i === 3) ac.abort();
      yield pattern(1 << 20, i);
    }
  }
  await assert.rejects(w3.addSection({ kind: 'w', name: 'a' }, cancelled()), { name: 'AbortError' });
  assert.deepEqual(readdirSync(dir), []);

  // Aborting while the writer sits idle cleans up at once.
  const ac2 = new AbortController();
  const w4 = await createArchive(path, { creator: 't' }, { signal: ac2.signal });
  await w4.beginEntry({ step: 1, mode: 'lossless' });
  ac2.abort();
  await assert.rejects(w4.endEntry(), { name: 'AbortError' });
  assert.deepEqual(readdirSync(dir), []);

  const ac3 = new AbortController();
  ac3.abort();
  await assert.rejects(createArchive(path, { creator: 't' }, { signal: ac3.signal }), { name: 'AbortError' });
  assert.deepEqual(readdirSync(dir), []);
});

test('creating over an existing file replaces it only on close', async () => {
  const dir = tmp();
  const path = join(dir, 'x.ckpz');
  writeFileSync(path, 'previous contents');
  const w = await createArchive(path, { creator: 't' });
  await w.beginEntry({ step: 1, mode: 'lossless' });
  await w.addSection({ kind: 'w', name: 'a' }, new Uint8Array(10));
  await w.endEntry();
  assert.equal(readFileSync(path, 'utf8'), 'previous contents');
  await w.abort();
  assert.equal(readFileSync(path, 'utf8'), 'previous contents');
  assert.deepEqual(readdirSync(dir), ['x.ckpz']);
});

test('a failed or aborted append truncates the archive back to its original bytes', async () => {
  const path = join(tmp(), 'a.ckpz');
  const e1 = sampleEntry(100, 4, 2000);
  await createSample(path, [e1]);
  const original = readFileSync(path);

  const w1 = await appendToArchive(path);
  await w1.beginEntry({ step: 200, mode: 'excp' });
  await w1.addSection({ kind: 'w', name: 'a' }, pattern(3 << 20, 5));
  assert.ok(readFileSync(path).byteLength > original.byteLength, 'bytes went to the file');
  await w1.abort();
  assert.deepEqual(readFileSync(path), original);

  const w2 = await appendToArchive(path);
  await w2.beginEntry({ step: 200, mode: 'excp' });
  await assert.rejects(
    w2.addSection({ kind: 'w', name: 'a' }, (async function* () {
      yield pattern(2 << 20, 6);
      throw new Error('disk full');
    })()),
    /disk full/,
  );
  assert.deepEqual(readFileSync(path), original);

  const ac = new AbortController();
  const w3 = await appendToArchive(path, { signal: ac.signal });
  await w3.beginEntry({ step: 200, mode: 'excp' });
  await w3.addSection({ kind: 'w', name: 'a' }, chunked(pattern(1 << 20, 7), 4096));
  ac.abort();
  await assert.rejects(w3.close(), { name: 'AbortError' });
  assert.deepEqual(readFileSync(path), original);
  await assertArchiveHolds(path, [e1]);
});

test('refused calls (wrong order, duplicates, bad metadata) write nothing and keep the writer usable', async () => {
  const path = join(tmp(), 'u.ckpz');
  const w = await createArchive(path, { creator: 't' });
  await assert.rejects(w.addSection({ kind: 'w', name: 'a' }, new Uint8Array(1)), ArchiveUsageError);
  await assert.rejects(w.endEntry(), ArchiveUsageError);
  await assert.rejects(w.beginEntry({ step: -1, mode: 'x' }), /non-negative integer or null/);
  await w.beginEntry({ step: 5, mode: 'lossless' });
  await assert.rejects(w.beginEntry({ step: 6, mode: 'lossless' }), /entry step 5 is still open/);
  await w.addSection({ kind: 'w', name: 'a' }, new Uint8Array([1]));
  await assert.rejects(w.addSection({ kind: 'w', name: 'a' }, new Uint8Array([2])), /already has a section of kind w named 'a'/);
  await assert.rejects(w.addSection({ kind: '@entry', name: 'b' }, new Uint8Array([2])), /reserved|not starting with '@'/);
  await assert.rejects(w.addSection({ kind: 'w', name: 'b', attrs: { n: 1n } as Record<string, unknown> }, new Uint8Array(1)), /cannot be stored as JSON/);
  await w.addSection({ kind: 'm', name: 'a' }, new Uint8Array([3])); // same name, other kind: fine
  await assert.rejects(w.close(), /still open; call endEntry/);
  await w.endEntry();
  await assert.rejects(w.beginEntry({ step: 5, mode: 'excp' }), /already has an entry for step 5/);
  await w.close();
  await assert.rejects(w.beginEntry({ step: 9, mode: 'x' }), /closed/);
  const r = await openArchive(path);
  assert.deepEqual(
    r.entries[0]!.sections.map((s) => [s.kind, s.name, s.length]),
    [
      ['w', 'a', 1],
      ['m', 'a', 1],
    ],
  );
  await r.verify();
  await r.close();
  const w2 = await appendToArchive(path);
  await assert.rejects(w2.beginEntry({ step: 5, mode: 'excp' }), /already has an entry for step 5/);
  await w2.abort();
});
