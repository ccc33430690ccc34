// Writing a pruned checkpoint: each planned tensor loses the floor(ratio * n) entries of lowest
// importance (the same rule as its error curve), set to zero in its own dtype; everything else is
// copied as is. Same layout (files, shards, names, dtypes); the output directory appears atomically.
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Checkpoint, CheckpointTensor } from '../checkpoint/model.ts';
import { DTYPE_SIZE } from '../formats/dtype.ts';
import { writeSafetensors } from '../formats/safetensors/writer.ts';
import { openSafetensors } from '../formats/safetensors/reader.ts';
import { readRange } from '../formats/tensorData.ts';
import { FormatError } from '../formats/types.ts';
import { errorAtCounts, removalMask, removedCount } from './errorCurve.ts';
import { importance } from './importance.ts';
import type { Criterion } from './reportTypes.ts';
import { elementRuns, view2d, type SliceRef } from './structuredGroups.ts';
import { asFloat32, loadTensorData } from './tensorInput.ts';

export interface PlanFile {
  criterion: Criterion;
  /** tensor name -> ratio of its entries to remove */
  tensors: Record<string, number>;
  alpha?: number;
  /** structured plans: row/column ranges to zero (a `prune-plan --structured` plan) */
  slices?: SliceRef[];
}

export interface PruneResult {
  output: string;
  tensors: Array<{ name: string; ratio: number; removed: number; rel_err: number }>;
}

/** Zeroes the masked elements of a tensor's raw bytes in place (any dtype: zero bits are zero). */
function zeroMasked(bytes: Uint8Array, mask: Uint8Array, size: number): void {
  for (let i = 0; i < mask.length; i++) if (mask[i]) bytes.fill(0, i * size, (i + 1) * size);
}

async function prunedBytes(t: CheckpointTensor, ratio: number, plan: PlanFile): Promise<{ bytes: Uint8Array; removed: number; relErr: number }> {
  const bytes = await readRange(t.file, t.offset, t.byteLength, t.name);
  const count = removedCount(ratio, t.numel);
  if (count === 0) return { bytes, removed: 0, relErr: 0 };
  const w = asFloat32(await loadTensorData(t));
  const m = t.moments.exp_avg && asFloat32(await loadTensorData(t.moments.exp_avg));
  const v = t.moments.exp_avg_sq && asFloat32(await loadTensorData(t.moments.exp_avg_sq));
  let meanV: number | undefined;
  if (v) {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]!;
    meanV = s / v.length;
  }
  const s = importance(plan.criterion, { w, m, v, meanV, alpha: plan.alpha });
  const point = errorAtCounts(w, s, [count], t.name).points[0]!;
  zeroMasked(bytes, removalMask(s, point), DTYPE_SIZE[t.dtype]);
  return { bytes, removed: point.removed, relErr: point.relErr };
}

/** Zeroes a structured plan's slices of one tensor in place; returns the count and the relative error. */
function zeroSlices(t: CheckpointTensor, bytes: Uint8Array, slices: SliceRef[]): { removed: number; relErr: number } {
  const size = DTYPE_SIZE[t.dtype];
  const before = asFloat32(loadedView(t, bytes));
  let sqNorm = 0;
  for (let i = 0; i < before.length; i++) sqNorm += before[i]! * before[i]!;
  let removed = 0;
  let sqErr = 0;
  const view = view2d(t.shape);
  for (const s of slices) {
    if (s.end > view[s.axis]) {
      throw new FormatError(`the plan zeroes ${s.axis === 0 ? 'rows' : 'columns'} ${s.start}..${s.end} of a [${view.join(', ')}] view`, t.file, { tensor: t.name, offset: t.offset });
    }
    for (const [start, length] of elementRuns({ tensor: s.tensor, view, axis: s.axis, offset: s.start, width: s.end - s.start }, 0)) {
      for (let i = start; i < start + length; i++) if (before[i] !== 0) (removed++, (sqErr += before[i]! * before[i]!));
      bytes.fill(0, start * size, (start + length) * size);
    }
  }
  return { removed, relErr: sqNorm > 0 ? Math.sqrt(sqErr / sqNorm) : 0 };
}

/** The kernel view of raw tensor bytes (a copy: the caller changes the bytes afterwards). */
function loadedView(t: CheckpointTensor, bytes: Uint8Array) {
  const copy = bytes.slice();
  if (t.dtype === 'F32') return { dtype: 'F32' as const, data: new Float32Array(copy.buffer) };
  if (t.dtype === 'BF16' || t.dtype === 'F16') return { dtype: t.dtype, data: new Uint16Array(copy.buffer) };
  throw new FormatError(`structured pruning supports F32, BF16 and F16 weights, not ${t.dtype}`, t.file, { tensor: t.name, offset: t.offset });
}

/** Writes the pruned checkpoint to `out` (a file for a single safetensors input, else a directory). */
export async function pruneCheckpoint(ckpt: Checkpoint, plan: PlanFile, out: string, signal?: AbortSignal): Promise<PruneResult> {
  if (ckpt.weightsFormat === 'torch') throw new FormatError('pruning writes safetensors checkpoints; this one is a torch state dict', ckpt.path);
  const slicesOf = new Map<string, SliceRef[]>();
  for (const sl of plan.slices ?? []) slicesOf.set(sl.tensor, [...(slicesOf.get(sl.tensor) ?? []), sl]);
  for (const name of [...Object.keys(plan.tensors), ...slicesOf.keys()]) {
    if (!ckpt.tensors.some((t) => t.name === name)) throw new FormatError(`the plan names tensor '${name}', which the checkpoint does not have`, ckpt.path);
  }
  const byName = new Map(ckpt.tensors.map((t) => [t.name, t]));
  const result: PruneResult = { output: resolve(out), tensors: [] };
  // A directory or a shard set is written as a directory; a single safetensors file as a file.
  const sourceDir = (await stat(ckpt.path)).isDirectory() ? ckpt.path : ckpt.files.length > 1 ? dirname(ckpt.files[0]!) : undefined;
  const target = resolve(out);
  if (sourceDir && (await stat(target).then(() => true, () => false))) {
    throw new FormatError('the output directory already exists; choose a new path (nothing is overwritten)', target);
  }
  const staging = sourceDir ? `${target}.tmp-${process.pid}` : undefined;
  try {
    if (staging) await mkdir(staging, { recursive: true });
    for (const file of ckpt.files) {
      // Re-read each file's own header: the layout (order, metadata, moment tensors) stays exactly as it was.
      const st = await openSafetensors(file);
      const dest = staging ? join(staging, basename(file)) : target;
      await writeSafetensors(dest, st.tensors.map((ref) => ({
        name: ref.name,
        dtype: ref.dtype,
        shape: ref.shape,
        data: async function* () {
          signal?.throwIfAborted();
          const ratio = plan.tensors[ref.name];
          const slices = slicesOf.get(ref.name);
          const t = byName.get(ref.name);
          if (!t || (ratio === undefined && !slices)) {
            yield await readRange(ref.file, ref.offset, ref.byteLength, ref.name);
            return;
          }
          if (slices) {
            const bytes = await readRange(ref.file, ref.offset, ref.byteLength, ref.name);
            const z = zeroSlices(t, bytes, slices);
            result.tensors.push({ name: ref.name, ratio: z.removed / t.numel, removed: z.removed, rel_err: z.relErr });
            yield bytes;
            return;
          }
          const p = await prunedBytes(t, ratio!, plan);
          result.tensors.push({ name: ref.name, ratio: ratio!, removed: p.removed, rel_err: p.relErr });
          yield p.bytes;
        },
      })), { metadata: Object.keys(st.metadata).length > 0 ? st.metadata : undefined });
    }
    if (staging && sourceDir) {
      // Everything else in the checkpoint directory (index, optimizer, trainer state, config) is copied unchanged.
      const written = new Set(ckpt.files.map((f) => basename(f)));
      for (const name of await readdir(sourceDir)) {
        if (written.has(name)) continue;
        const src = join(sourceDir, name);
        if ((await stat(src)).isFile()) await copyFile(src, join(staging, name));
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(staging, target);
    }
  } catch (e) {
    if (staging) await rm(staging, { recursive: true, force: true });
    throw e;
  }
  return result;
}
