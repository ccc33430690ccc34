// A section far larger than memory should need: 128 MiB streamed in 1 MiB chunks (one buffer,
// refilled) goes in and comes back out with the resident set growing by far less than its size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createArchive, openArchive } from '../../server/src/compress/archive/archive.ts';
import { tempDirFactory } from '../helpers/tempDir.ts';

const tmp = tempDirFactory('ckpz-large-');
const MiB = 1 << 20;
const CHUNKS = 128;

/** Chunk i holds the byte i at every position but its first four, which hold i as a u32. */
function fillChunk(buf: Uint8Array, i: number): void {
  buf.fill(i & 0xff);
  new DataView(buf.buffer, buf.byteOffset).setUint32(0, i, true);
}

test('a 128 MiB section streams in and out with bounded memory', async () => {
  const path = join(tmp(), 'large.ckpz');
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));

  const chunk = new Uint8Array(MiB);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < CHUNKS; i++) {
      fillChunk(chunk, i); // the writer is done with the previous chunk once it asks for the next
      yield chunk;
      if (i % 16 === 0) sample();
    }
  }
  const w = await createArchive(path, { creator: 't' });
  await w.beginEntry({ step: 1, mode: 'lossless' });
  const info = await w.addSection({ kind: 'bytes', name: 'model.embed_tokens.weight' }, chunks());
  await w.endEntry();
  await w.close();
  assert.equal(info.length, CHUNKS * MiB);
  assert.ok(statSync(path).size > CHUNKS * MiB);

  const r = await openArchive(path);
  const s = r.entries[0]!.sections[0]!;
  const expected = new Uint8Array(MiB);
  let i = 0;
  for await (const part of r.sectionChunks(s, MiB)) {
    fillChunk(expected, i);
    assert.ok(Buffer.from(part).equals(expected), `chunk ${i}`);
    if (i++ % 16 === 0) sample();
  }
  assert.equal(i, CHUNKS);
  let calls = 0;
  const report = await r.verify({ onProgress: () => (++calls % 64 === 0 ? sample() : undefined) });
  assert.equal(report.bytes, statSync(path).size);
  await r.close();
  sample();
  const growth = (peak - base) / MiB;
  assert.ok(growth < 64, `resident set grew by ${growth.toFixed(1)} MiB for a ${CHUNKS} MiB section`);
});
