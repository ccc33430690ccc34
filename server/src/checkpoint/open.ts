// Opening any supported checkpoint path: a safetensors file or shard set, a torch `.bin`/`.pt`,
// or a Hugging Face Trainer `checkpoint-N/` directory with its optimizer state attached.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { openSafetensorsCheckpoint } from '../formats/safetensors/sharded.ts';
import { readOptimizerStateDict, readTorchStateDict } from '../formats/torch/reader.ts';
import { FormatError } from '../formats/types.ts';
import type { Checkpoint, CheckpointTensor, OptimizerInfo } from './model.ts';
import { attachOptimizerMoments, attachSuffixMoments, readParamMapping } from './moments.ts';
import { listSeries, stepFromDirName } from './series.ts';

export interface OpenOptions {
  /** JSON file mapping optimizer parameter indices to tensor names, when the order differs. */
  mapping?: string;
}

const TORCH_EXTENSIONS = ['.bin', '.pt', '.pth'];
const OPTIMIZER_FILE = 'optimizer.pt';
const TRAINER_STATE = 'trainer_state.json';

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** The weights file(s) of a directory, by the Hugging Face naming conventions. */
async function findWeights(dir: string): Promise<{ path: string; kind: 'safetensors' | 'torch' } | null> {
  const names = await readdir(dir);
  const prefer = ['model.safetensors.index.json', 'model.safetensors', 'pytorch_model.bin.index.json', 'pytorch_model.bin'];
  for (const n of prefer) {
    if (!names.includes(n)) continue;
    if (n.startsWith('pytorch_model.bin.index')) throw new FormatError('sharded pytorch_model.bin checkpoints are not supported yet; convert to safetensors', join(dir, n));
    return { path: join(dir, n), kind: n.includes('safetensors') ? 'safetensors' : 'torch' };
  }
  const st = names.filter((n) => n.endsWith('.safetensors') || n.endsWith('.safetensors.index.json'));
  if (st.length > 0) return { path: dir, kind: 'safetensors' };
  return null;
}

async function readTrainerState(dir: string): Promise<{ state: unknown; step: number | null }> {
  const p = join(dir, TRAINER_STATE);
  if (!(await isFile(p))) return { state: null, step: null };
  let state: unknown;
  try {
    state = JSON.parse(await readFile(p, 'utf8'));
  } catch (e) {
    throw new FormatError(`not valid JSON: ${(e as Error).message}`, p);
  }
  const step = (state as { global_step?: unknown } | null)?.global_step;
  return { state, step: typeof step === 'number' && Number.isInteger(step) ? step : null };
}

function optimizerStep(state: ReadonlyMap<number, { step?: number }>): number | null {
  for (const entry of state.values()) if (typeof entry.step === 'number') return entry.step;
  return null;
}

function infoFrom(source: string, matched: number, step: number | null, paramGroups: ReadonlyArray<Record<string, unknown>>): OptimizerInfo {
  const { params: _params, ...hyper } = paramGroups[0] ?? {};
  return { kind: 'adam', source, step, matched, hyperParameters: hyper };
}

async function openWeights(path: string, kind: 'safetensors' | 'torch') {
  if (kind === 'safetensors') {
    const st = await openSafetensorsCheckpoint(path);
    const { tensors, matched } = attachSuffixMoments(st.tensors);
    return { format: st.format, files: st.files, metadata: st.metadata, tensors, suffixMatched: matched };
  }
  const refs = await readTorchStateDict(path);
  const tensors: CheckpointTensor[] = refs.map((r) => ({ ...r, moments: {} }));
  return { format: 'torch' as const, files: [path], metadata: {}, tensors, suffixMatched: 0 };
}

/** Opens a checkpoint file or directory. Reads headers only. Throws FormatError on bad input. */
export async function openCheckpoint(input: string, options: OpenOptions = {}): Promise<Checkpoint> {
  const path = resolve(input);
  const st = await stat(path).catch(() => null);
  if (!st) throw new FormatError('no such file or directory', path);

  if (st.isFile()) {
    const lower = path.toLowerCase();
    const isTorch = TORCH_EXTENSIONS.some((e) => lower.endsWith(e));
    if (!isTorch && !lower.endsWith('.safetensors') && !lower.endsWith('.json')) {
      throw new FormatError('not a checkpoint: expected .safetensors, .safetensors.index.json, .bin, .pt or .pth', path);
    }
    if (isTorch && basename(lower) === OPTIMIZER_FILE) {
      throw new FormatError('an optimizer state alone has no weights: open its checkpoint directory instead', path);
    }
    const w = await openWeights(path, isTorch ? 'torch' : 'safetensors');
    const optimizer = w.suffixMatched > 0 ? infoFrom(path, w.suffixMatched, null, []) : null;
    return { path, format: w.format, weightsFormat: w.format, files: w.files, tensors: w.tensors, metadata: w.metadata, optimizer, step: null, trainerState: null };
  }

  const weights = await findWeights(path);
  if (!weights) {
    const series = await listSeries(path);
    if (series.checkpoints.length > 0) {
      throw new FormatError(`this is a run directory with ${series.checkpoints.length} checkpoints (steps ${series.checkpoints.map((c) => c.step).join(', ')}): open one of them`, path);
    }
    throw new FormatError('no model weights found (model.safetensors, model.safetensors.index.json, *.safetensors or pytorch_model.bin)', path);
  }
  const w = await openWeights(weights.path, weights.kind);
  const trainer = await readTrainerState(path);
  const optimizerPath = join(path, OPTIMIZER_FILE);
  let optimizer: OptimizerInfo | null = w.suffixMatched > 0 ? infoFrom(weights.path, w.suffixMatched, null, []) : null;
  if (await isFile(optimizerPath)) {
    const sd = await readOptimizerStateDict(optimizerPath);
    const mapping = options.mapping ? await readParamMapping(options.mapping) : undefined;
    const matched = attachOptimizerMoments(w.tensors, sd.state, optimizerPath, mapping);
    optimizer = infoFrom(optimizerPath, matched, optimizerStep(sd.state), sd.paramGroups);
  }
  const isTrainer = optimizer?.source === optimizerPath || trainer.state !== null;
  const step = trainer.step ?? stepFromDirName(path) ?? optimizer?.step ?? null;
  return {
    path,
    format: isTrainer ? 'trainer' : w.format,
    weightsFormat: w.format,
    files: w.files,
    tensors: w.tensors,
    metadata: w.metadata,
    optimizer,
    step,
    trainerState: trainer.state,
  };
}
