// A run directory is a series of Hugging Face Trainer `checkpoint-N/` directories ordered by N.
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { CheckpointSeries } from './model.ts';

const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;

/** The step encoded in a `checkpoint-N` directory name, or null. */
export function stepFromDirName(path: string): number | null {
  const m = CHECKPOINT_DIR.exec(basename(path));
  return m ? Number(m[1]) : null;
}

/** Lists the `checkpoint-N/` sub-directories of `dir` ordered by step; empty when there are none. */
export async function listSeries(dir: string): Promise<CheckpointSeries> {
  const path = resolve(dir);
  const found: Array<{ step: number; path: string }> = [];
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const step = stepFromDirName(entry.name);
    if (step === null) continue;
    const p = join(path, entry.name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await stat(p)).isDirectory())) found.push({ step, path: p });
  }
  found.sort((a, b) => a.step - b.step);
  return { path, checkpoints: found };
}

/** True when `dir` holds `checkpoint-N/` sub-directories but no weights of its own. */
export async function isRunDirectory(dir: string): Promise<boolean> {
  const s = await stat(dir).catch(() => null);
  if (!s?.isDirectory()) return false;
  const names = await readdir(dir);
  const hasWeights = names.some((n) => n.endsWith('.safetensors') || n.endsWith('.safetensors.index.json') || n === 'pytorch_model.bin');
  return !hasWeights && names.some((n) => CHECKPOINT_DIR.test(n));
}
