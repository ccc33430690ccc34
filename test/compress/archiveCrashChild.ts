// Child process for the crash tests: starts an append to (or the creation of) an archive with a
// section that never ends, says "writing" once megabytes are on disk, and waits to be killed.
import { appendToArchive, createArchive } from '../../server/src/compress/archive/archive.ts';

async function* endless(): AsyncGenerator<Uint8Array> {
  for (let i = 0; ; i++) {
    yield new Uint8Array(1 << 20).fill(i & 0xff);
    if (i === 3) process.stdout.write('writing\n');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function main(): Promise<void> {
  const [mode, path] = process.argv.slice(2) as [string, string];
  const w = mode === 'append' ? await appendToArchive(path) : await createArchive(path, { creator: 'crash child' });
  await w.beginEntry({ step: 999, mode: 'lossless' });
  await w.addSection({ kind: 'w', name: 'endless' }, endless());
}

void main();
