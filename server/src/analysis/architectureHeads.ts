// Attention head counts. Shapes give only the query width (heads * head_dim) and the key/value width
// (kv_heads * head_dim); splitting them needs one more number, from the caller's hints, from config.json,
// or, failing both, from a documented default.
import type { ArchitectureFamily } from './architectureFamilies.ts';

export interface HeadHints {
  numHeads?: number;
  numKvHeads?: number;
  headDim?: number;
}

/** Where the head split came from: explicit hints replace config.json, which wins over the default. */
export type HeadSource = 'hint' | 'config' | 'default';

export interface HeadSplit {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  source: HeadSource;
}

export interface AttentionWidths {
  /** Rows of the query projection (num_heads * head_dim), and the tensor they were read from. */
  query: number;
  queryTensor: string;
  /** Rows of the key projection (num_kv_heads * head_dim); equal to `query` without GQA. */
  kv: number;
  kvTensor: string;
}

// Defaults when nothing says: LLaMA-family models of 1B parameters and up almost all use head_dim 128
// (LLaMA-1/2/3, Mistral, Qwen2 >= 1.5B); small ones (TinyLlama, Qwen2-0.5B, SmolLM) and GPT-2, BERT and
// most Pythia sizes use 64. A default is taken only where it divides both widths, and is reported as
// `source: 'default'` so that the UI can say it was assumed.
const DEFAULT_HEAD_DIMS: Record<ArchitectureFamily, readonly number[]> = {
  llama: [128, 64],
  'gpt-neox': [64],
  gpt2: [64],
  bert: [64],
  generic: [64],
};

const CONFIG_KEYS: Record<keyof HeadHints, readonly string[]> = {
  numHeads: ['num_attention_heads', 'n_head', 'num_heads'],
  numKvHeads: ['num_key_value_heads', 'num_kv_heads', 'n_head_kv'],
  headDim: ['head_dim'],
};

/** Head counts from a parsed config.json (the caller reads the file); absent or null keys are skipped. */
export function headHintsFromConfig(config: Readonly<Record<string, unknown>>): HeadHints {
  const hints: HeadHints = {};
  for (const field of Object.keys(CONFIG_KEYS) as (keyof HeadHints)[]) {
    const key = CONFIG_KEYS[field].find((k) => config[k] !== undefined && config[k] !== null);
    if (key !== undefined) hints[field] = positiveInteger(config[key], `config.json: ${key}`);
  }
  return hints;
}

/**
 * Splits the attention widths into heads. Throws when an explicit number contradicts the shapes,
 * since structured groups built on a wrong split would cut heads in half.
 */
export function resolveHeads(
  family: ArchitectureFamily,
  widths: AttentionWidths,
  explicit: { hints?: HeadHints; config?: Readonly<Record<string, unknown>> } = {},
): HeadSplit | null {
  // Hints replace config.json as a whole rather than field by field: a hinted head_dim next to the
  // config's head count would be two answers to the same question.
  const fromConfig = explicit.config ? headHintsFromConfig(explicit.config) : {};
  const fromHints = definedHints(explicit.hints ?? {});
  const hinted = Object.keys(fromHints).length > 0;
  const given: HeadHints = hinted ? fromHints : fromConfig;
  const source: HeadSource = hinted ? 'hint' : Object.keys(fromConfig).length > 0 ? 'config' : 'default';
  const from = source === 'hint' ? 'the given hints' : 'config.json';
  const { query, queryTensor, kv, kvTensor } = widths;

  let headDim: number;
  if (given.numHeads !== undefined) {
    if (query % given.numHeads !== 0) throw new Error(`${queryTensor} has ${query} rows, not divisible into ${given.numHeads} heads (from ${from})`);
    headDim = query / given.numHeads;
    if (given.headDim !== undefined && given.headDim !== headDim) {
      throw new Error(`${queryTensor} has ${query} rows: ${given.numHeads} heads of head_dim ${given.headDim} would need ${given.numHeads * given.headDim} (from ${from})`);
    }
  } else if (given.headDim !== undefined) {
    if (query % given.headDim !== 0) throw new Error(`${queryTensor} has ${query} rows, not a multiple of head_dim ${given.headDim} (from ${from})`);
    headDim = given.headDim;
  } else {
    const fallback = DEFAULT_HEAD_DIMS[family].find((d) => query % d === 0 && kv % d === 0);
    if (fallback === undefined) return null;
    headDim = fallback;
  }

  if (kv % headDim !== 0) throw new Error(`${kvTensor} has ${kv} rows, not a multiple of head_dim ${headDim}`);
  const numHeads = query / headDim;
  const numKvHeads = kv / headDim;
  if (given.numKvHeads !== undefined && given.numKvHeads !== numKvHeads) {
    throw new Error(`${kvTensor} has ${kv} rows = ${numKvHeads} KV heads of head_dim ${headDim}, not ${given.numKvHeads} (from ${from})`);
  }
  if (numHeads % numKvHeads !== 0) {
    throw new Error(`${numHeads} query heads cannot share ${numKvHeads} KV heads evenly (${queryTensor}: ${query} rows, ${kvTensor}: ${kv} rows)`);
  }
  return { numHeads, numKvHeads, headDim, source };
}

function definedHints(hints: HeadHints): HeadHints {
  const out: HeadHints = {};
  for (const field of Object.keys(CONFIG_KEYS) as (keyof HeadHints)[]) {
    if (hints[field] !== undefined) out[field] = positiveInteger(hints[field], `hint ${field}`);
  }
  return out;
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}
