// What tensor shapes tell about a model: hidden size, layer count, MLP width, vocabulary size and
// (with hints, config.json or a default) the attention head split.
import { familyLayout, type ArchitectureFamily, type FamilyLayout } from './architectureFamilies.ts';
import { resolveHeads, type AttentionWidths, type HeadHints, type HeadSource } from './architectureHeads.ts';
import { tensorIn, type Layer, type NamedShape } from './layers.ts';
import { modulePath, TOKEN_EMBEDDING_SEGMENTS, VOCAB_HEAD_SEGMENTS } from './layersNaming.ts';

export interface ModelShape {
  /** Number of blocks (all stacks together). */
  numLayers: number;
  /** Width of the residual stream (input width of the attention). */
  hiddenSize: number | null;
  /** Intermediate width of the MLP (gate/up rows for LLaMA). */
  mlpWidth: number | null;
  vocabSize: number | null;
  numHeads: number | null;
  numKvHeads: number | null;
  headDim: number | null;
  headSource: HeadSource | null;
}

export interface ShapeOptions {
  hints?: HeadHints;
  /** Parsed config.json, when the caller found one. */
  config?: Readonly<Record<string, unknown>>;
}

/** The 2-D view of a family's projection weight, or a clear error naming the tensor. */
export function matrixDims(tensor: NamedShape): [number, number] {
  if (tensor.shape.length !== 2) throw new Error(`${tensor.name}: expected a 2-D weight, got shape [${tensor.shape.join(', ')}]`);
  return [tensor.shape[0], tensor.shape[1]];
}

export interface BlockAttention extends AttentionWidths {
  /** Input width of the attention: the residual stream. */
  hidden: number;
}

/** Attention widths of one block of a known family, or null when the block lacks the query/key weights. */
export function blockAttention(layout: FamilyLayout, layer: Layer): BlockAttention | null {
  const a = layout.attention;
  if (a.kind === 'separate') {
    const q = tensorIn(layer, `${a.q}.weight`);
    const k = tensorIn(layer, `${a.k}.weight`);
    if (!q || !k) return null;
    const [query, hidden] = matrixDims(q);
    return { query, queryTensor: q.name, kv: matrixDims(k)[0], kvTensor: k.name, hidden };
  }
  const qkv = tensorIn(layer, `${a.qkv}.weight`);
  if (!qkv) return null;
  const [rows, cols] = matrixDims(qkv);
  const [fused, hidden] = a.kind === 'fused-per-head' ? [rows, cols] : [cols, rows];
  if (fused % 3 !== 0) throw new Error(`${qkv.name}: fused q/k/v width ${fused} is not a multiple of 3 (shape [${rows}, ${cols}])`);
  return { query: fused / 3, queryTensor: qkv.name, kv: fused / 3, kvTensor: qkv.name, hidden };
}

/** MLP intermediate width of one block (output features of the first projection into it), or null. */
export function blockMlpWidth(layout: FamilyLayout, layer: Layer): number | null {
  const into = tensorIn(layer, `${layout.mlp.into[0]}.weight`);
  return into ? matrixDims(into)[layout.mlp.transposed ? 1 : 0] : null;
}

/** Infers the model's shape from the first block that holds the family's weights. */
export function inferModelShape(layers: readonly Layer[], family: ArchitectureFamily, options: ShapeOptions = {}): ModelShape {
  const blocks = layers.filter((l) => l.kind === 'block');
  const layout = familyLayout(family);
  const attention = layout ? blocks.map((b) => blockAttention(layout, b)).find((w) => w !== null) ?? null : null;
  const mlpWidth = layout ? blocks.map((b) => blockMlpWidth(layout, b)).find((w) => w !== null) ?? null : null;
  const embedding = findMatrix(layers, 'embeddings', TOKEN_EMBEDDING_SEGMENTS);
  const vocabHead = findMatrix(layers, 'head', VOCAB_HEAD_SEGMENTS);
  const heads = attention ? resolveHeads(family, attention, options) : null;
  return {
    numLayers: blocks.length,
    hiddenSize: attention?.hidden ?? embedding?.shape[1] ?? null,
    mlpWidth,
    vocabSize: embedding?.shape[0] ?? vocabHead?.shape[0] ?? null,
    numHeads: heads?.numHeads ?? null,
    numKvHeads: heads?.numKvHeads ?? null,
    headDim: heads?.headDim ?? null,
    headSource: heads?.source ?? null,
  };
}

/** The first 2-D tensor of a named group whose module's last segment is one of `modules`. */
function findMatrix(layers: readonly Layer[], kind: Layer['kind'], modules: ReadonlySet<string>): NamedShape | undefined {
  return layers
    .find((l) => l.kind === kind)
    ?.tensors.find((t) => t.shape.length === 2 && modules.has(modulePath(t.name).split('.').pop()!.toLowerCase()));
}
