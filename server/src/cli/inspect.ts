// `ckpt-lens inspect PATH [--json] [--mapping FILE]`: tensors, dtypes, shapes, bytes, shards and attached moments.
import { relative, dirname } from 'node:path';
import { openCheckpoint } from '../checkpoint/open.ts';
import type { Checkpoint } from '../checkpoint/model.ts';
import { isRunDirectory, listSeries } from '../checkpoint/series.ts';
import { DTYPE_SIZE } from '../formats/dtype.ts';
import { formatBytes, formatCount, table } from './format.ts';

export interface InspectJson {
  path: string;
  format: string;
  step: number | null;
  tensors: Array<{ name: string; dtype: string; shape: number[]; numel: number; bytes: number; file: string; moments: string[] }>;
  totals: { tensors: number; numel: number; bytes: number };
  optimizer: { kind: string; step: number | null; matched: number; source: string; hyperParameters: Record<string, unknown> } | null;
}

/** The machine-readable description of a checkpoint that `inspect --json` prints. */
export function inspectJson(ckpt: Checkpoint): InspectJson {
  const base = ckpt.files.length > 0 ? dirname(ckpt.files[0]!) : ckpt.path;
  const tensors = ckpt.tensors.map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    numel: t.numel,
    bytes: t.numel * DTYPE_SIZE[t.dtype],
    file: relative(base, t.file) || t.file,
    moments: Object.keys(t.moments),
  }));
  return {
    path: ckpt.path,
    format: ckpt.format,
    step: ckpt.step,
    tensors,
    totals: { tensors: tensors.length, numel: tensors.reduce((s, t) => s + t.numel, 0), bytes: tensors.reduce((s, t) => s + t.bytes, 0) },
    optimizer: ckpt.optimizer && {
      kind: ckpt.optimizer.kind,
      step: ckpt.optimizer.step,
      matched: ckpt.optimizer.matched,
      source: ckpt.optimizer.source,
      hyperParameters: ckpt.optimizer.hyperParameters,
    },
  };
}

function inspectText(j: InspectJson): string {
  const rows = j.tensors.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, formatCount(t.numel), formatBytes(t.bytes), t.file, t.moments.join(', ') || '-']);
  const head = `${j.path}\nformat: ${j.format}${j.step !== null ? `, step ${j.step}` : ''}`;
  const opt = j.optimizer
    ? `optimizer: ${j.optimizer.kind} (step ${j.optimizer.step ?? '?'}), moments attached to ${j.optimizer.matched} of ${j.totals.tensors} tensors`
    : 'optimizer: none';
  const totals = `total: ${formatCount(j.totals.tensors)} tensors, ${formatCount(j.totals.numel)} parameters, ${formatBytes(j.totals.bytes)}`;
  return [head, '', table(['name', 'dtype', 'shape', 'numel', 'bytes', 'file', 'moments'], rows, new Set([3, 4])), '', totals, opt].join('\n');
}

export async function runInspect(path: string, opts: { json: boolean; mapping?: string }): Promise<string> {
  if (await isRunDirectory(path)) {
    const series = await listSeries(path);
    const items: InspectJson[] = [];
    for (const c of series.checkpoints) items.push(inspectJson(await openCheckpoint(c.path, opts)));
    if (opts.json) return JSON.stringify({ path: series.path, format: 'run', checkpoints: items }, null, 2);
    return [`${series.path}\nrun directory: ${items.length} checkpoints (steps ${series.checkpoints.map((c) => c.step).join(', ')})`, ...items.map(inspectText)].join('\n\n');
  }
  const j = inspectJson(await openCheckpoint(path, opts));
  return opts.json ? JSON.stringify(j, null, 2) : inspectText(j);
}
