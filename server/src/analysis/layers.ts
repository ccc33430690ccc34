// Layers of a model, grouped from tensor names alone: numbered blocks, plus named groups for what
// lies outside them (embeddings, final norm, head, other), in model order.
import { blockPosition, namedRole, type NamedRole } from './layersNaming.ts';

/** What the analyses need of a tensor; `CheckpointTensor` and `TensorRef` both qualify. */
export interface NamedShape {
  name: string;
  shape: readonly number[];
}

export type LayerKind = 'block' | NamedRole | 'other';

export interface Layer<T extends NamedShape = NamedShape> {
  /** `layers.N` when the model has one stack of blocks; `<stack>.N` (e.g. `model.encoder.layers.0`) when
   *  it has several; the kind (`embeddings`, `head`, `final_norm`, `other`) for named groups. */
  id: string;
  /** Block index within its stack; null for named groups. */
  index: number | null;
  kind: LayerKind;
  /** Container path of a block (`model.layers`, `transformer.h`); null for named groups. */
  stack: string | null;
  /** Name prefix of a block's tensors (`model.layers.0.`); null for named groups. */
  prefix: string | null;
  /** In the order they were given. */
  tensors: T[];
}

const NAMED_ORDER_BEFORE: readonly LayerKind[] = ['embeddings'];
const NAMED_ORDER_AFTER: readonly LayerKind[] = ['final_norm', 'head', 'other'];

/**
 * Groups tensors into layers: embeddings first, then blocks (stacks in order of first appearance, each by
 * index), then the final norm, the head and anything else. Empty groups are left out.
 */
export function groupLayers<T extends NamedShape>(tensors: readonly T[]): Layer<T>[] {
  const blocks = new Map<string, Layer<T>>();
  const stacks: string[] = [];
  const named = new Map<LayerKind, T[]>();
  for (const tensor of tensors) {
    const position = blockPosition(tensor.name);
    if (!position) {
      const kind: LayerKind = namedRole(tensor.name) ?? 'other';
      const members = named.get(kind);
      if (members) members.push(tensor);
      else named.set(kind, [tensor]);
      continue;
    }
    if (!stacks.includes(position.stack)) stacks.push(position.stack);
    const key = `${position.stack}\u0000${position.index}`;
    let block = blocks.get(key);
    if (!block) {
      block = { id: '', index: position.index, kind: 'block', stack: position.stack, prefix: position.prefix, tensors: [] };
      blocks.set(key, block);
    }
    block.tensors.push(tensor);
  }
  const ordered = [...blocks.values()].sort(
    (a, b) => stacks.indexOf(a.stack!) - stacks.indexOf(b.stack!) || a.index! - b.index!,
  );
  for (const block of ordered) block.id = stacks.length === 1 ? `layers.${block.index}` : `${block.stack}.${block.index}`;
  const namedLayer = (kind: LayerKind): Layer<T>[] => {
    const members = named.get(kind);
    return members ? [{ id: kind, index: null, kind, stack: null, prefix: null, tensors: members }] : [];
  };
  return [...NAMED_ORDER_BEFORE.flatMap(namedLayer), ...ordered, ...NAMED_ORDER_AFTER.flatMap(namedLayer)];
}

/** A block tensor's name inside its block (`self_attn.q_proj.weight`); the full name for named groups. */
export function localName(layer: Pick<Layer, 'prefix'>, tensor: NamedShape): string {
  return layer.prefix !== null && tensor.name.startsWith(layer.prefix) ? tensor.name.slice(layer.prefix.length) : tensor.name;
}

/** Looks a block's tensor up by its local name (`mlp.up_proj.weight`). */
export function tensorIn<T extends NamedShape>(layer: Layer<T>, local: string): T | undefined {
  return layer.prefix === null ? undefined : layer.tensors.find((t) => t.name === layer.prefix + local);
}
