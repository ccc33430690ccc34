// Structured groups as data: which row or column ranges of which tensors make up each group.
// A set of groups of one kind is stored as strided slices (group i of a member covers
// `[offset + i*width, offset + (i+1)*width)`), so an 11008-channel MLP costs three objects, not 33k;
// `groupMembers` expands one group into plain slices. The groups of a set partition their tensors' axes.
import { tensorIn, type Layer, type NamedShape } from './layers.ts';

/**
 * `attention_head`: one head's q, k, v rows and its output-projection columns (multi-head attention).
 * `kv_group` (GQA/MQA): one KV head's k and v rows plus the q rows and output columns of every query head
 * that reads it; removing one keeps the model consistent (heads and kv_heads both shrink, the sharing
 * ratio stays). `query_head` (GQA/MQA): one query head's q rows and output columns; zeroing one is always
 * safe, removing some needs the same number removed under every KV head (the ratio must stay uniform).
 * `mlp_channel`: one intermediate channel: its rows of the projections into the MLP, its column out.
 */
export type GroupKind = 'attention_head' | 'kv_group' | 'query_head' | 'mlp_channel';

/** A row range (axis 0) or column range (axis 1) of a tensor's 2-D view `[d0, d1*...*dk]` (1-D: `[d0, 1]`). */
export interface SliceRef {
  tensor: string;
  axis: 0 | 1;
  start: number;
  end: number;
}

export interface StridedSlice {
  tensor: string;
  /** The tensor's 2-D view, so that a scorer or pruner needs nothing else to index it. */
  view: readonly [number, number];
  axis: 0 | 1;
  /** Group i covers `[offset + i*width, offset + (i+1)*width)` along `axis`. */
  offset: number;
  width: number;
}

export interface GroupSet {
  kind: GroupKind;
  count: number;
  members: StridedSlice[];
}

export interface LayerGroups {
  /** `Layer.id`, e.g. `layers.0`. */
  layer: string;
  index: number | null;
  sets: GroupSet[];
}

export function view2d(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  return [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
}

/** The plain slices of group `i` of a set. */
export function groupMembers(set: GroupSet, i: number): SliceRef[] {
  if (!Number.isInteger(i) || i < 0 || i >= set.count) throw new Error(`${set.kind} group ${i} does not exist (the set has ${set.count})`);
  return set.members.map((m) => ({ tensor: m.tensor, axis: m.axis, start: m.offset + i * m.width, end: m.offset + (i + 1) * m.width }));
}

/**
 * Builds a set, checking that the groups partition each member's axis: for every tensor and axis, the
 * members' ranges over all groups tile `[0, length)` exactly. This catches any width mismatch between
 * coupled tensors (an o_proj with more columns than q_proj has rows, a bias of the wrong length).
 */
export function groupSet(kind: GroupKind, count: number, members: StridedSlice[]): GroupSet {
  const spans = new Map<string, Array<[number, number]>>();
  for (const m of members) {
    const key = `${m.tensor}\u0000${m.axis}`;
    spans.set(key, [...(spans.get(key) ?? []), [m.offset, m.offset + count * m.width]]);
  }
  for (const m of members) {
    const ranges = spans.get(`${m.tensor}\u0000${m.axis}`)!.sort((x, y) => x[0] - y[0]);
    const tiles = ranges.every(([start], i) => start === (i === 0 ? 0 : ranges[i - 1][1]));
    const length = m.view[m.axis];
    if (!tiles || ranges[ranges.length - 1][1] !== length) {
      const covered = ranges.map(([a, b]) => `${a}..${b}`).join(', ');
      throw new Error(`${m.tensor}: ${count} ${kind} groups cover ${m.axis === 0 ? 'rows' : 'columns'} ${covered}, but its 2-D view [${m.view.join(', ')}] has ${length}`);
    }
  }
  return { kind, count, members };
}

/** Slices a block's projection, by module path, along its output or input features. `transposed` is
 *  GPT-2's `Conv1D` (`[in, out]` weights). Output slices include the bias, which runs along the outputs. */
export class ModuleSlicer {
  constructor(private readonly layer: Layer<NamedShape>) {}

  has(...modules: string[]): boolean {
    return modules.every((m) => tensorIn(this.layer, `${m}.weight`) !== undefined);
  }

  outputs(module: string, transposed: boolean, offset: number, width: number): StridedSlice[] {
    const slices = [this.slice(`${module}.weight`, transposed ? 1 : 0, offset, width)];
    if (tensorIn(this.layer, `${module}.bias`)) slices.push(this.slice(`${module}.bias`, 0, offset, width));
    return slices;
  }

  inputs(module: string, transposed: boolean, offset: number, width: number): StridedSlice {
    return this.slice(`${module}.weight`, transposed ? 0 : 1, offset, width);
  }

  private slice(local: string, axis: 0 | 1, offset: number, width: number): StridedSlice {
    const tensor = tensorIn(this.layer, local);
    if (!tensor) throw new Error(`block ${this.layer.id} has no ${local} (looked for ${this.layer.prefix}${local})`);
    if (local.endsWith('.weight') && tensor.shape.length !== 2) {
      throw new Error(`${tensor.name}: expected a 2-D weight, got shape [${tensor.shape.join(', ')}]`);
    }
    return { tensor: tensor.name, view: view2d(tensor.shape), axis, offset, width };
  }
}
