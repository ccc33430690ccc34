// Compression and restore throughput (MB/s of checkpoint) and peak RSS on a generated checkpoint
// pair with Adam moments (Trainer layout: F32 model.safetensors + optimizer.pt), 2 GB in all by
// default: step 2 is step 1 plus a small update. Measured through the CLI, as users run it:
//   ExCP compress of step 2 against step 1, its restore; lossless compress of step 1, its restore.
// Run: npm run bench -- compress --gb=2
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSafetensors } from '../../server/src/formats/safetensors/writer.ts';
import { writeOptimizerState, type AdamParamStateInput } from '../../server/src/formats/torch/writer.ts';
import { tuple } from '../../server/src/formats/torch/pyValue.ts';
import { machineDescription } from './machine.ts';
import { measureChild } from './measureChild.ts';
import { randomChunks } from './randomTensors.ts';
import { llamaLikeTensors } from './sparseCheckpoint.ts';

const { values } = parseArgs({ options: { gb: { type: 'string', default: '2' }, backend: { type: 'string', default: 'auto' } }, allowPositionals: true });
const perCheckpoint = (Number(values.gb) * 1e9) / 2;

const dim = 1024;
const hidden = 2816;
const vocab = 32000;
// weight + exp_avg + exp_avg_sq, float32 each
const perLayer = (4 * dim * dim + 3 * dim * hidden + 2 * dim) * 4 * 3;
const layers = Math.max(1, Math.round((perCheckpoint - 2 * vocab * dim * 4 * 3) / perLayer));
const tensors = llamaLikeTensors(layers, dim, hidden, vocab, 'F32');

async function writeCheckpoint(dir: string, step: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const later = step > 1;
  await writeSafetensors(join(dir, 'model.safetensors'), tensors.map((t, i) => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    return { name: t.name, dtype: 'F32' as const, shape: t.shape, data: () => randomChunks(numel, 'F32', { seed: i + 1, std: 0.02, update: later ? { seed: i + 7e6, std: 2e-4 } : undefined }) };
  }));
  const state = new Map<number, AdamParamStateInput>();
  tensors.forEach((t, i) => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const src = (spec: Parameters<typeof randomChunks>[2]) => ({ dtype: 'F32' as const, shape: t.shape, data: async function* () { yield* randomChunks(numel, 'F32', spec); } });
    state.set(i, { step: 100 * step, exp_avg: src({ seed: i + 1e6 * step, std: 1e-4 }), exp_avg_sq: src({ seed: i + 2e6 * step, std: 3e-4, squared: true }) });
  });
  await writeOptimizerState(join(dir, 'optimizer.pt'), { state, paramGroups: [{ lr: 1e-3, betas: tuple(0.9, 0.999), eps: 1e-8, weight_decay: 0.01, amsgrad: false, params: tensors.map((_, i) => i) }] });
  writeFileSync(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: 100 * step }));
}

function dirBytes(dir: string): number {
  return ['model.safetensors', 'optimizer.pt', 'trainer_state.json'].reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ckpt-lens-bench-compress-'));
  try {
    const a = join(root, 'checkpoint-100');
    const b = join(root, 'checkpoint-200');
    const started = performance.now();
    await writeCheckpoint(a, 1);
    await writeCheckpoint(b, 2);
    const size = dirBytes(b);
    console.log(`machine: ${machineDescription()}`);
    console.log(`pair: 2 x ${(size / 1e9).toFixed(2)} GB (F32 weights + exp_avg + exp_avg_sq, ${layers} layers; generated in ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    const mbps = (secs: number) => `${(size / 1e6 / secs).toFixed(0)} MB/s`;
    const run = (label: string, args: string[], out: string) => {
      const secs = measureChild(label, ['dist/cli.js', ...args]);
      const extra = out.endsWith('.ckpz') ? `, archive ${(statSync(out).size / 1e6).toFixed(1)} MB (${(size / statSync(out).size).toFixed(2)}x)` : '';
      console.log(`${''.padEnd(44)} ${mbps(secs)} of checkpoint${extra}`);
    };
    run('compress --ref (ExCP, 4/4 bits)', ['compress', b, '--ref', a, '-o', join(root, 'excp.ckpz'), '--backend', values.backend!], join(root, 'excp.ckpz'));
    run('restore (ExCP)', ['restore', join(root, 'excp.ckpz'), '--ref', a, '-o', join(root, 'restored-excp')], join(root, 'restored-excp'));
    run('compress --mode lossless', ['compress', a, '--mode', 'lossless', '-o', join(root, 'lossless.ckpz')], join(root, 'lossless.ckpz'));
    run('restore (lossless)', ['restore', join(root, 'lossless.ckpz'), '-o', join(root, 'restored-lossless')], join(root, 'restored-lossless'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
