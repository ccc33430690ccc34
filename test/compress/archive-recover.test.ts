// Interrupted writes: a process killed during an append leaves an archive whose end is not a valid
// trailer; opening it says so, and recoverArchive cuts it back to exactly the bytes it had before.
// A process killed while creating an archive leaves nothing at the archive's path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ArchiveError, ArchiveIncompleteError, openArchive, recoverArchive } from '../../server/src/compress/archive/archive.ts';
import { tempDirFactory } from '../helpers/tempDir.ts';
import { appendSample, assertArchiveHolds, createSample, sampleEntry } from './archiveFixtures.ts';

const tmp = tempDirFactory('ckpz-recover-');
const CHILD = resolve('test/compress/archiveCrashChild.ts');

/** Runs the crash child on `path` and kills it (SIGKILL) once it has written a few megabytes. */
async function killMidWrite(mode: 'append' | 'create', path: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('writing') && resolve());
    child.on('exit', (code) => reject(new Error(`crash child exited early with ${code}`)));
  });
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
}

test('a process killed during an append: detected on open, recovered to the exact earlier bytes, appendable again', async () => {
  const dir = tmp();
  const path = join(dir, 'run.ckpz');
  const e1 = sampleEntry(100, 4, 500);
  await createSample(path, [e1]);
  const before = readFileSync(path);
  await killMidWrite('append', path);
  assert.ok(statSync(path).size > before.byteLength + (3 << 20), 'the child wrote megabytes before dying');
  await assert.rejects(openArchive(path), (e: unknown) => e instanceof ArchiveIncompleteError && /an append was interrupted .* recoverArchive\(\)/.test(e.message));
  await assert.rejects(appendSample(path, [sampleEntry(200, 1, 10)]), ArchiveIncompleteError, 'no append onto an incomplete archive');

  const dry = await recoverArchive(path, { dryRun: true });
  assert.equal(dry.status, 'truncated');
  assert.ok(statSync(path).size > before.byteLength, 'a dry run changes nothing');
  const result = await recoverArchive(path);
  assert.deepEqual(result, { status: 'truncated', originalSize: dry.originalSize, size: before.byteLength, droppedBytes: dry.originalSize - before.byteLength, entries: 1, sequence: 1 });
  assert.deepEqual(readFileSync(path), before);
  assert.equal((await recoverArchive(path)).status, 'intact');

  const e2 = sampleEntry(200, 3, 500);
  await appendSample(path, [e2]);
  await assertArchiveHolds(path, [e1, e2]);
});

test('an append cut at any byte is detected and recovers to the state before it', async () => {
  const dir = tmp();
  const path = join(dir, 'a.ckpz');
  const e1 = sampleEntry(100, 2, 50);
  await createSample(path, [e1]);
  await appendSample(path, [sampleEntry(200, 2, 50)]);
  const middle = readFileSync(path);
  await appendSample(path, [sampleEntry(300, 2, 50)]);
  const full = readFileSync(path);
  const cut = join(dir, 'cut.ckpz');
  for (let n = middle.byteLength + 1; n < full.byteLength; n++) {
    writeFileSync(cut, full.subarray(0, n));
    await assert.rejects(openArchive(cut), ArchiveIncompleteError, `cut at ${n}`);
    const r = await recoverArchive(cut);
    assert.equal(r.size, middle.byteLength, `cut at ${n}`);
    assert.ok(readFileSync(cut).equals(middle), `cut at ${n}`);
  }
});

test('garbage after the end is recoverable; a damaged single state is not, and says why', async () => {
  const dir = tmp();
  const path = join(dir, 'g.ckpz');
  const e1 = sampleEntry(100, 3, 200);
  await createSample(path, [e1]);
  const good = readFileSync(path);
  appendFileSync(path, Buffer.alloc(5000, 0x42));
  assert.equal((await recoverArchive(path)).droppedBytes, 5000);
  await assertArchiveHolds(path, [e1]);
  // The backward scan reads 1 MiB blocks: an end marker across a block boundary is still found.
  for (let extra = (1 << 20) - 9; extra <= (1 << 20) + 9; extra++) {
    writeFileSync(path, Buffer.concat([good, Buffer.alloc(extra, 0x43)]));
    assert.equal((await recoverArchive(path)).droppedBytes, extra);
  }

  writeFileSync(path, good.subarray(0, good.byteLength - 1));
  await assert.rejects(recoverArchive(path), (e: unknown) => e instanceof ArchiveError && /cannot recover: no complete earlier state found \(.*incomplete/.test(e.message));

  // A crash after an append whose earlier data was damaged: the earlier state fails verification.
  await createSample(path, [e1]);
  await appendSample(path, [sampleEntry(200, 1, 10)]);
  const both = readFileSync(path);
  const r = await openArchive(path);
  const s = r.entries[0]!.sections[1]!;
  await r.close();
  both[s.offset]! ^= 1;
  writeFileSync(path, both.subarray(0, both.byteLength - 10));
  await assert.rejects(recoverArchive(path), /cannot recover: the latest earlier state is damaged too .*section 'model\.layers\.1\.self_attn\.q_proj\.weight' \(entry step 100, kind m-codes\): checksum mismatch/);
});

test('a process killed while creating an archive leaves nothing that looks like one', async () => {
  const dir = tmp();
  const path = join(dir, 'new.ckpz');
  await killMidWrite('create', path);
  assert.equal(existsSync(path), false);
  const left = readdirSync(dir);
  assert.equal(left.length, 1, 'only the temporary file');
  assert.match(left[0]!, /^new\.ckpz\.tmp-/);
  await assert.rejects(openArchive(join(dir, left[0]!)), ArchiveIncompleteError);
});
