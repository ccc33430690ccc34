// Reading torch.save zip checkpoints (optimizer.pt, pytorch_model.bin) without executing anything:
// the directory is read, the small data.pkl pickle is interpreted safely, and tensors become
// TensorRefs into the stored storage records, read later by byte range like safetensors.
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { toFloat32 } from '../dtype.ts';
import { FormatError, type TensorRef } from '../types.ts';
import { openZip, type ZipArchive } from '../zip/zipReader.ts';
import { torchPickleHooks } from './allowList.ts';
import { unpickle } from './pickleReader.ts';
import { describePy, isTuple, type PyValue } from './pyValue.ts';
import { isTorchTensor, type TorchTensor } from './torchValues.ts';

export interface TorchFile {
  file: string;
  /** The zip's top folder: the stem of the file's name when torch.save wrote it (`optimizer`, `archive`, ...). */
  prefix: string;
  /** The unpickled object tree; tensors are TorchTensor objects. */
  root: PyValue;
  /** Every tensor, in pickle order, each named by its first path in the tree (`state.0.exp_avg`). */
  tensors: TorchTensor[];
  archive: ZipArchive;
}

const PICKLE_ENTRY = /^([^/]+)\/data\.pkl$/;

/** Opens a torch.save zip file and interprets its pickle (only allow-listed globals; see allowList.ts). */
export async function openTorchFile(path: string): Promise<TorchFile> {
  const file = resolve(path);
  const archive = await openZipOrExplain(file);
  const pickles = archive.entries.filter((e) => PICKLE_ENTRY.test(e.name));
  if (pickles.length !== 1) {
    throw new FormatError(pickles.length === 0 ? 'no <folder>/data.pkl record: not a torch.save checkpoint' : `several data.pkl records (${pickles.map((e) => e.name).join(', ')})`, file);
  }
  const entry = pickles[0]!;
  const prefix = PICKLE_ENTRY.exec(entry.name)![1]!;
  const { hooks, tensors } = torchPickleHooks(archive, prefix);
  const root = unpickle(await archive.read(entry), {
    file,
    entryName: entry.name,
    baseOffset: entry.method === 0 ? entry.dataOffset : undefined,
    hooks,
  });
  nameTensors(root);
  return { file, prefix, root, tensors, archive };
}

async function openZipOrExplain(file: string): Promise<ZipArchive> {
  try {
    return await openZip(file);
  } catch (e) {
    if (!(e instanceof FormatError) || !/not a zip archive/.test(e.message)) throw e;
    // torch.save before PyTorch 1.6 (or with _use_new_zipfile_serialization=False) wrote a bare pickle stream.
    const head = new Uint8Array(2);
    const fh = await open(file, 'r');
    try {
      await fh.read(head, 0, 2, 0);
    } finally {
      await fh.close();
    }
    if (head[0] === 0x80) throw new FormatError('legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a recent PyTorch', file, { offset: 0 });
    throw e;
  }
}

/**
 * Names each tensor by the dotted path where it first appears (depth-first, in pickle order).
 * Iterative with a visited set: hostile pickles can nest deeply or contain cycles.
 */
function nameTensors(root: PyValue): void {
  const visited = new Set<object>();
  const todo: Array<[PyValue, string]> = [[root, '']];
  while (todo.length > 0) {
    const [value, path] = todo.pop()!;
    if (typeof value !== 'object' || value === null || visited.has(value)) continue;
    visited.add(value);
    if (isTorchTensor(value)) {
      value.ref.name = path;
      continue;
    }
    const children: Array<[PyValue, string]> = [];
    if (Array.isArray(value)) value.forEach((v, i) => children.push([v, join(path, String(i))]));
    else if (value instanceof Map) for (const [k, v] of value) children.push([v, join(path, keyText(k))]);
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]!);
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function keyText(k: PyValue): string {
  return typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean' ? String(k) : describePy(k);
}

/**
 * The tensors of a state dict file (`pytorch_model.bin`: name -> tensor), in pickle order.
 * Nested dicts give dotted names; non-tensor values are skipped. A tensor saved under two names
 * (tied weights) is listed under both.
 */
export async function readTorchStateDict(path: string): Promise<TensorRef[]> {
  const { root, file } = await openTorchFile(path);
  if (!(root instanceof Map)) throw new FormatError(`expected a state dict (a dict of tensors), found ${describePy(root)}`, file);
  const out: TensorRef[] = [];
  // Depth-first over nested dicts in key order, with an explicit stack (hostile files may nest deeply).
  const stack: Array<{ items: Iterator<[PyValue, PyValue]>; prefix: string }> = [{ items: root.entries(), prefix: '' }];
  const visited = new Set<object>([root]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const next = top.items.next();
    if (next.done) {
      stack.pop();
      continue;
    }
    const [key, value] = next.value;
    const name = join(top.prefix, keyText(key));
    if (isTorchTensor(value)) out.push({ ...value.ref, shape: [...value.ref.shape], name });
    else if (value instanceof Map && !visited.has(value)) {
      visited.add(value);
      stack.push({ items: value.entries(), prefix: name });
    }
  }
  return out;
}

/** One parameter's optimizer state (Adam/AdamW: step, exp_avg, exp_avg_sq). */
export interface OptimizerParamState {
  step: number;
  exp_avg?: TensorRef;
  exp_avg_sq?: TensorRef;
  /** Every tensor of the entry except `step`, by key (exp_avg, exp_avg_sq, max_exp_avg_sq, ...). */
  tensors: Record<string, TensorRef>;
  /** Non-tensor entries other than `step`. */
  values: Record<string, PyValue>;
}

export interface OptimizerStateDict {
  file: string;
  /** Keyed by parameter index (the order of the model's parameters). */
  state: Map<number, OptimizerParamState>;
  /** Hyperparameters per group, with `params` listing parameter indices. Tuples are frozen arrays. */
  paramGroups: Array<Record<string, PyValue>>;
}

/** Reads `torch.save(optimizer.state_dict())`. Tensor names are `state.<index>.<key>`. */
export async function readOptimizerStateDict(path: string): Promise<OptimizerStateDict> {
  const { root, file } = await openTorchFile(path);
  const fail = (msg: string) => new FormatError(`not an optimizer state dict: ${msg}`, file);
  if (!(root instanceof Map)) throw fail(`top level is ${describePy(root)}, expected a dict`);
  const state = root.get('state');
  const groups = root.get('param_groups');
  if (!(state instanceof Map)) throw fail(`'state' is ${describePy(state ?? null)}, expected a dict`);
  if (!Array.isArray(groups) || isTuple(groups)) throw fail(`'param_groups' is ${describePy(groups ?? null)}, expected a list`);

  const out = new Map<number, OptimizerParamState>();
  const stepTensors: Array<[OptimizerParamState, TensorRef]> = [];
  for (const [index, entry] of state) {
    if (typeof index !== 'number' || !Number.isSafeInteger(index)) throw fail(`state key ${describePy(index)} is not a parameter index`);
    if (!(entry instanceof Map)) throw fail(`state[${index}] is ${describePy(entry)}, expected a dict`);
    const param: OptimizerParamState = { step: NaN, tensors: {}, values: {} };
    for (const [key, value] of entry) {
      if (typeof key !== 'string') throw fail(`state[${index}] has a non-str key ${describePy(key)}`);
      if (key === 'step') {
        if (isTorchTensor(value)) {
          if (value.ref.numel !== 1) throw fail(`state[${index}].step has ${value.ref.numel} elements, expected 1`);
          stepTensors.push([param, { ...value.ref, name: `state.${index}.step` }]);
        } else if (typeof value === 'number') param.step = value;
        else throw fail(`state[${index}].step is ${describePy(value)}`);
      } else if (isTorchTensor(value)) param.tensors[key] = { ...value.ref, shape: [...value.ref.shape], name: `state.${index}.${key}` };
      else param.values[key] = value;
    }
    if (!entry.has('step')) throw fail(`state[${index}] has no 'step' (only Adam-style optimizer states are supported)`);
    if (param.tensors.exp_avg) param.exp_avg = param.tensors.exp_avg;
    if (param.tensors.exp_avg_sq) param.exp_avg_sq = param.tensors.exp_avg_sq;
    out.set(index, param);
  }
  const steps = await readScalars(file, stepTensors.map(([, ref]) => ref));
  stepTensors.forEach(([param], i) => (param.step = steps[i]!));

  const paramGroups = groups.map((g, i) => {
    if (!(g instanceof Map)) throw fail(`param_groups[${i}] is ${describePy(g)}, expected a dict`);
    const record: Record<string, PyValue> = {};
    for (const [k, v] of g) {
      if (typeof k !== 'string') throw fail(`param_groups[${i}] has a non-str key ${describePy(k)}`);
      record[k] = v;
    }
    return record;
  });
  return { file, state: out, paramGroups };
}

/** Reads one-element tensors (the `step` counters) through a single file handle. */
async function readScalars(file: string, refs: TensorRef[]): Promise<number[]> {
  if (refs.length === 0) return [];
  const fh = await open(file, 'r');
  try {
    const out: number[] = [];
    for (const ref of refs) {
      const buf = new Uint8Array(ref.byteLength);
      const { bytesRead } = await fh.read(buf, 0, buf.length, ref.offset);
      if (bytesRead !== buf.length) throw new FormatError('unexpected end of file', file, { tensor: ref.name, offset: ref.offset });
      const view = new DataView(buf.buffer);
      // 64-bit integers and floats are read exactly; the rest through the float32 conversion.
      const value = ref.dtype === 'I64' ? Number(view.getBigInt64(0, true)) : ref.dtype === 'F64' ? view.getFloat64(0, true) : toFloat32(buf, ref.dtype)[0]!;
      out.push(value);
    }
    return out;
  } finally {
    await fh.close();
  }
}
