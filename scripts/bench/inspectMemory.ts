// Peak memory of `ckpt-lens inspect` on a generated 4 GB safetensors file, and of streaming every
// tensor's values through float32 chunks (what analyses do). Goal: peak RSS under 200 MB.
// Run: npm run bench -- inspect --gb=4   (or: node --import tsx scripts/bench/inspectMemory.ts --gb=4)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineDescription } from './machine.ts';
import { measureChild } from './measureChild.ts';
import { llamaLikeTensors, writeSparseSafetensors } from './sparseCheckpoint.ts';

const { values } = parseArgs({ options: { gb: { type: 'string', default: '4' } }, allowPositionals: true });
const targetBytes = Number(values.gb) * 1e9;

// dim 2048, MLP 5632 (TinyLlama-1.1B shapes) in F32: 22 layers come to about 4.4 GB.
const dim = 2048;
const hidden = 5632;
const perLayer = (4 * dim * dim + 3 * dim * hidden + 2 * dim) * 4;
const layers = Math.max(1, Math.round((targetBytes - 2 * 32000 * dim * 4) / perLayer));
const dir = mkdtempSync(join(tmpdir(), 'ckpt-lens-bench-'));
const file = join(dir, 'model.safetensors');

async function main(): Promise<void> {
  try {
    const size = await writeSparseSafetensors(file, llamaLikeTensors(layers, dim, hidden, 32000, 'F32'));
    console.log(`machine: ${machineDescription()}`);
    console.log(`file: ${(size / 1e9).toFixed(2)} GB safetensors, ${layers} layers (sparse file, data reads as zeros)`);
    measureChild('inspect --json', ['dist/cli.js', 'inspect', file, '--json']);
    measureChild('stream all values as float32 (16 MiB chunks)', ['--import', 'tsx', 'scripts/bench/streamAll.ts', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
