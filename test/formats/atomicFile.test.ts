// The atomic file writer both the safetensors and the zip writers use: gathered appends, patches
// that land on disk, in the write buffer or across both, and nothing left behind on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../../server/src/formats/atomicFile.ts';
import { tempDirFactory } from '../helpers/tempDir.ts';

const tmp = tempDirFactory('atomic-test-');
const MiB = 1 << 20; // the sink's buffer size

test('appends of every size land in order; patches hit disk, buffer, and the boundary between them', async () => {
  const file = join(tmp(), 'out.bin');
  const big = Uint8Array.from({ length: MiB + 5 }, (_, i) => i % 251);
  const expected = new Uint8Array(3 + big.length + MiB - 10 + 2);
  const result = await writeFileAtomically(file, async (sink) => {
    await sink.write(new Uint8Array([1, 2, 3]));
    await sink.write(big); // larger than the buffer: flushes, then goes straight to disk
    await sink.write(new Uint8Array(MiB - 10).fill(7)); // buffered
    await sink.write(new Uint8Array([8, 9]));
    await sink.patch(1, new Uint8Array([0xaa])); // on disk
    await sink.patch(3 + big.length - 2, new Uint8Array([0xb0, 0xb1, 0xb2, 0xb3])); // 2 bytes on disk, 2 in the buffer
    await sink.patch(sink.position - 1, new Uint8Array([0xcc])); // in the buffer
    return sink.position;
  });
  expected.set([1, 0xaa, 3]);
  expected.set(big, 3);
  expected.fill(7, 3 + big.length);
  expected.set([8, 0xcc], expected.length - 2);
  expected.set([0xb0, 0xb1, 0xb2, 0xb3], 3 + big.length - 2);
  assert.equal(result, expected.length);
  assert.deepEqual(new Uint8Array(readFileSync(file)), expected);
});

test('a failure, a patch outside the written bytes included, leaves the old file and no temporary file', async () => {
  const dir = tmp();
  const file = join(dir, 'keep.bin');
  writeFileSync(file, 'old');
  await assert.rejects(
    writeFileAtomically(file, async (sink) => {
      await sink.write(new Uint8Array(4));
      await sink.patch(2, new Uint8Array(3));
    }),
    /patch of 3 bytes at 2 is outside the 4 bytes written/,
  );
  await assert.rejects(writeFileAtomically(file, async () => Promise.reject(new Error('disk on fire'))), /disk on fire/);
  assert.deepEqual(readdirSync(dir), ['keep.bin']);
  assert.equal(readFileSync(file, 'utf8'), 'old');
});
