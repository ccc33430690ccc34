// Attaching Adam moments to the parameters they belong to.
import { readFile } from 'node:fs/promises';
import { FormatError, type TensorRef } from '../formats/types.ts';
import type { CheckpointTensor, MomentName } from './model.ts';

const MOMENT_SUFFIXES: ReadonlyArray<[string, MomentName]> = [
  ['.exp_avg_sq', 'exp_avg_sq'],
  ['.exp_avg', 'exp_avg'],
];

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Splits safetensors tensors into parameters and `<name>.exp_avg` / `<name>.exp_avg_sq` moments,
 * attaching each moment to its parameter. A moment without its parameter, or of another shape, is an error.
 */
export function attachSuffixMoments(all: readonly TensorRef[]): { tensors: CheckpointTensor[]; matched: number } {
  const params = new Map<string, CheckpointTensor>();
  const moments: Array<[TensorRef, string, MomentName]> = [];
  for (const t of all) {
    const suffix = MOMENT_SUFFIXES.find(([s]) => t.name.endsWith(s));
    if (suffix) moments.push([t, t.name.slice(0, -suffix[0].length), suffix[1]]);
    else params.set(t.name, { ...t, moments: {} });
  }
  const withMoments = new Set<string>();
  for (const [m, owner, kind] of moments) {
    const p = params.get(owner);
    if (!p) throw new FormatError(`moment tensor has no parameter named '${owner}'`, m.file, { tensor: m.name, offset: m.offset });
    if (!sameShape(p.shape, m.shape)) {
      throw new FormatError(`moment shape ${shapeText(m.shape)} does not match parameter shape ${shapeText(p.shape)}`, m.file, { tensor: m.name, offset: m.offset });
    }
    p.moments[kind] = m;
    withMoments.add(owner);
  }
  return { tensors: [...params.values()], matched: withMoments.size };
}

/** The per-parameter state of an optimizer state dict, as the torch reader returns it. */
export interface OptimizerParamState {
  exp_avg?: TensorRef;
  exp_avg_sq?: TensorRef;
}

/**
 * Reads a user-given mapping from optimizer parameter index to tensor name: a JSON array of names
 * (index = position) or an object `{ "0": "model.embed_tokens.weight", ... }`.
 */
export async function readParamMapping(file: string): Promise<Map<number, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new FormatError(`cannot read the parameter mapping: ${(e as Error).message}`, file);
  }
  const map = new Map<number, string>();
  const entries: Array<[string, unknown]> = Array.isArray(json) ? json.map((v, i) => [String(i), v]) : json && typeof json === 'object' ? Object.entries(json) : [];
  if (entries.length === 0) throw new FormatError('the parameter mapping must be a non-empty JSON array of tensor names or an object {"index": "name"}', file);
  for (const [k, v] of entries) {
    const index = Number(k);
    if (!Number.isInteger(index) || index < 0 || typeof v !== 'string') throw new FormatError(`bad mapping entry ${JSON.stringify(k)}: ${JSON.stringify(v)}`, file);
    map.set(index, v);
  }
  return map;
}

/**
 * Attaches optimizer state (keyed by parameter index) to parameters. Without a mapping, index i is the
 * i-th parameter in model order, which is the order of tensors in the safetensors header(s) for
 * Hugging Face Trainer checkpoints. Every shape is checked; a mismatch is a clear error that suggests a mapping.
 */
export function attachOptimizerMoments(
  tensors: CheckpointTensor[],
  state: ReadonlyMap<number, OptimizerParamState>,
  optimizerFile: string,
  mapping?: ReadonlyMap<number, string>,
): number {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const hint = mapping ? '' : ' (the optimizer order does not follow the weights: pass a parameter mapping, --mapping FILE)';
  let matched = 0;
  for (const [index, entry] of [...state.entries()].sort((a, b) => a[0] - b[0])) {
    const name = mapping ? mapping.get(index) : tensors[index]?.name;
    const param = name === undefined ? undefined : byName.get(name);
    if (!param) {
      const why = mapping ? `the mapping names no tensor '${name ?? '?'}' for it` : `the checkpoint has only ${tensors.length} parameters`;
      throw new FormatError(`optimizer state for parameter ${index} has no matching tensor: ${why}${hint}`, optimizerFile);
    }
    let attached = false;
    for (const kind of ['exp_avg', 'exp_avg_sq'] as const) {
      const m = entry[kind];
      if (!m) continue;
      if (!sameShape(m.shape, param.shape)) {
        throw new FormatError(
          `state ${index}.${kind} has shape ${shapeText(m.shape)} but parameter '${param.name}' has shape ${shapeText(param.shape)}${hint}`,
          optimizerFile,
          { tensor: `state.${index}.${kind}`, offset: m.offset },
        );
      }
      param.moments[kind] = m;
      attached = true;
    }
    if (attached) matched++;
  }
  return matched;
}
