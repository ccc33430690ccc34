// What a checkpoint looks like on disk, recorded so restore can write it again: every regular file of
// the checkpoint (directory, or the single file given), and inside the safetensors files and
// optimizer.pt the byte ranges that hold tensors. Everything outside those ranges (headers, zip
// records, pickles, JSON files) is the file's "skeleton", stored losslessly; the ranges are coded per
// tensor. The optimizer's parameter order and hyper-parameters are kept for rewriting optimizer.pt.
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Checkpoint, MomentName } from '../checkpoint/model.ts';
import { openSafetensors } from '../formats/safetensors/reader.ts';
import { readOptimizerStateDict } from '../formats/torch/reader.ts';
import type { DType } from '../formats/types.ts';
import { FormatError } from '../formats/types.ts';
import { pyToJson, type JsonValue } from './pyJson.ts';

export type RangeRole = 'weight' | MomentName | 'other';

export interface RangeRecord {
  /** unique within the checkpoint: `<file>:<tensor name>` */
  key: string;
  tensor: string;
  offset: number;
  length: number;
  dtype: DType;
  shape: number[];
  role: RangeRole;
  /** the parameter a weight or moment belongs to */
  param?: string;
}

export interface FileRecord {
  /** path relative to the checkpoint root */
  name: string;
  size: number;
  crc32: number;
  kind: 'safetensors' | 'optimizer' | 'blob';
  /** tensor byte ranges, ascending and disjoint */
  ranges: RangeRecord[];
}

export interface OptimizerLayout {
  file: string;
  paramGroups: JsonValue[];
  params: Array<{ index: number; param: string; step: number; values: Record<string, JsonValue> }>;
}

export interface SourceLayout {
  /** a checkpoint directory, or one file (a single .safetensors) */
  root: 'dir' | 'file';
  files: FileRecord[];
  optimizer?: OptimizerLayout;
  step: number | null;
  /** parameters in model order */
  params: Array<{ name: string; dtype: DType; shape: number[] }>;
}

const OPTIMIZER = 'optimizer.pt';
const CRC_CHUNK = 8 << 20;

export async function fileCrc32(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CRC_CHUNK);
    let crc = 0;
    for (let at = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) return crc;
      crc = crc32(buf.subarray(0, bytesRead), crc);
      at += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

async function rootFiles(ckpt: Checkpoint): Promise<{ root: 'dir' | 'file'; dir: string; names: string[] }> {
  if ((await stat(ckpt.path)).isDirectory()) {
    const names: string[] = [];
    for (const e of await readdir(ckpt.path, { withFileTypes: true })) if (e.isFile()) names.push(e.name);
    return { root: 'dir', dir: ckpt.path, names: names.sort() };
  }
  if (ckpt.files.length === 1 && ckpt.files[0] === ckpt.path) return { root: 'file', dir: dirname(ckpt.path), names: [basename(ckpt.path)] };
  throw new FormatError('compress a sharded checkpoint by its directory', ckpt.path);
}

export async function captureLayout(ckpt: Checkpoint, mapping?: ReadonlyMap<number, string>): Promise<SourceLayout> {
  if (ckpt.weightsFormat === 'torch') throw new FormatError('compression reads safetensors weights; this checkpoint holds a torch state dict (convert it to safetensors first)', ckpt.path);
  const { root, dir, names } = await rootFiles(ckpt);
  const momentOf = new Map<string, { param: string; role: MomentName }>();
  for (const t of ckpt.tensors) for (const [role, ref] of Object.entries(t.moments) as Array<[MomentName, { file: string; name: string } | undefined]>) {
    if (ref) momentOf.set(`${ref.file}\u0000${ref.name}`, { param: t.name, role });
  }
  const params = new Set(ckpt.tensors.map((t) => t.name));
  const weightFiles = new Set(ckpt.files);
  const files: FileRecord[] = [];
  let optimizer: OptimizerLayout | undefined;
  for (const name of names) {
    const path = join(dir, name);
    const size = (await stat(path)).size;
    const record: FileRecord = { name, size, crc32: await fileCrc32(path), kind: 'blob', ranges: [] };
    if (weightFiles.has(path)) {
      record.kind = 'safetensors';
      const st = await openSafetensors(path);
      for (const ref of st.tensors) {
        const moment = momentOf.get(`${path}\u0000${ref.name}`);
        const role: RangeRole = moment ? moment.role : params.has(ref.name) ? 'weight' : 'other';
        record.ranges.push({ key: `${name}:${ref.name}`, tensor: ref.name, offset: ref.offset, length: ref.byteLength, dtype: ref.dtype, shape: [...ref.shape], role, param: moment ? moment.param : role === 'weight' ? ref.name : undefined });
      }
    } else if (name === OPTIMIZER && root === 'dir' && ckpt.optimizer?.source === path) {
      record.kind = 'optimizer';
      const sd = await readOptimizerStateDict(path);
      const layout: OptimizerLayout = { file: name, paramGroups: sd.paramGroups.map((g, i) => pyToJson(new Map(Object.entries(g)), `param_groups[${i}]`)), params: [] };
      const order = ckpt.tensors.map((t) => t.name);
      for (const [index, st] of [...sd.state.entries()].sort((a, b) => a[0] - b[0])) {
        const param = mapping ? mapping.get(index)! : order[index]!;
        const values: Record<string, JsonValue> = {};
        for (const [k, v] of Object.entries(st.values)) values[k] = pyToJson(v, `state[${index}].${k}`);
        layout.params.push({ index, param, step: st.step, values });
        for (const [key, ref] of Object.entries(st.tensors)) {
          const role: RangeRole = key === 'exp_avg' || key === 'exp_avg_sq' ? key : 'other';
          record.ranges.push({ key: `${name}:${ref.name}`, tensor: ref.name, offset: ref.offset, length: ref.byteLength, dtype: ref.dtype, shape: [...ref.shape], role, param });
        }
      }
      record.ranges.sort((a, b) => a.offset - b.offset);
      optimizer = layout;
    }
    files.push(record);
  }
  return { root, files, optimizer, step: ckpt.step, params: ckpt.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] })) };
}
