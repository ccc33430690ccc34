// Seconds and peak RSS of a full `ckpt-lens analyze --json` on a generated BF16 checkpoint with Adam
// moments (`<name>.exp_avg` / `<name>.exp_avg_sq` beside each weight), 2 GB by default. Unlike the
// inspect benchmark the data is real (pseudo-random normal weights and moments, written once), so
// every kernel does its full work. Memory must stay bounded by the largest tensor, not the file.
// Run: npm run bench -- analyze --gb=2 [--backend=cpu|webgpu|auto]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSafetensors, type SafetensorsEntry } from '../../server/src/formats/safetensors/writer.ts';
import { machineDescription } from './machine.ts';
import { measureChild } from './measureChild.ts';
import { llamaLikeTensors } from './sparseCheckpoint.ts';
import { randomChunks } from './randomTensors.ts';

const { values } = parseArgs({ options: { gb: { type: 'string', default: '2' }, backend: { type: 'string', default: 'cpu' } }, allowPositionals: true });
const targetBytes = Number(values.gb) * 1e9;

// dim 1024, MLP 2816, vocabulary 32000; weight + two moments, 2 bytes each.
const dim = 1024;
const hidden = 2816;
const vocab = 32000;
const perLayer = (4 * dim * dim + 3 * dim * hidden + 2 * dim) * 2 * 3;
const layers = Math.max(1, Math.round((targetBytes - 2 * vocab * dim * 2 * 3) / perLayer));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-lens-bench-analyze-'));
  try {
    const file = join(dir, 'model.safetensors');
    const entries: SafetensorsEntry[] = [];
    let seed = 1;
    for (const t of llamaLikeTensors(layers, dim, hidden, vocab, 'BF16')) {
      const numel = t.shape.reduce((a, b) => a * b, 1);
      const k = seed++;
      entries.push({ name: t.name, dtype: 'BF16', shape: t.shape, data: () => randomChunks(numel, 'BF16', { seed: k, std: 0.02 }) });
      entries.push({ name: `${t.name}.exp_avg`, dtype: 'BF16', shape: t.shape, data: () => randomChunks(numel, 'BF16', { seed: k + 1e6, std: 1e-4 }) });
      entries.push({ name: `${t.name}.exp_avg_sq`, dtype: 'BF16', shape: t.shape, data: () => randomChunks(numel, 'BF16', { seed: k + 2e6, std: 3e-4, squared: true }) });
    }
    const started = performance.now();
    const written = await writeSafetensors(file, entries);
    console.log(`machine: ${machineDescription()}`);
    console.log(`file: ${(written.fileSize / 1e9).toFixed(2)} GB BF16 safetensors, ${layers} layers + embeddings/head, weights with exp_avg/exp_avg_sq (generated in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    measureChild(`analyze --json --backend ${values.backend} (no cache)`, ['dist/cli.js', 'analyze', file, '--json', '--no-cache', '--backend', values.backend!]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
