// Structured pruning plans (ALGORITHMS.md §3): whole attention heads (or GQA KV groups) and MLP
// channels, scored by the chosen criterion summed over each group's elements. Groups compete across
// all blocks by score per parameter (a group's mean importance), lowest first, until the target share
// of the grouped parameters is removed; every set keeps at least one group, so no block loses all of
// its heads or channels. The plan lists the slices to zero; `prune` zeroes them in place (same
// shapes: physically dropping heads would also need a new config.json, which is out of scope).
import type { Checkpoint, CheckpointTensor } from '../checkpoint/model.ts';
import { describeArchitecture } from './architecture.ts';
import { readConfig } from './analyzeCheckpoint.ts';
import { importance } from './importance.ts';
import type { Criterion } from './reportTypes.ts';
import { groupMembers, scoreGroups, structuredGroups, type GroupKind, type GroupSet, type SliceRef } from './structuredGroups.ts';
import { asFloat32, loadTensorData } from './tensorInput.ts';

export interface StructuredPlanRequest {
  target: number;
  criterion: Criterion;
  alpha?: number;
  signal?: AbortSignal;
}

export interface StructuredLayerPlan {
  layer: string;
  /** parameters of the tensors this block's groups cover */
  params: number;
  removed: number;
  ratio: number;
  relErr: number;
  importanceRemovedFrac: number;
  groups: Array<{ kind: GroupKind; count: number; removed: number[] }>;
}

export interface StructuredPlan {
  structured: true;
  criterion: Criterion;
  target: number;
  paramsBefore: number;
  paramsAfter: number;
  removed: number;
  achievedSparsity: number;
  relErr: number;
  layers: StructuredLayerPlan[];
  /** what `prune` zeroes */
  slices: SliceRef[];
  /** unstructured ratios: none (kept so that a plan file has one shape) */
  tensors: Record<string, number>;
  alpha?: number;
  scope: string;
  messages: string[];
}

/** One group set of a block with its groups' summed importance and squared weights. */
export interface ScoredSet {
  /** index into StructuredScores.layers */
  layer: number;
  set: GroupSet;
  score: Float64Array;
  sqErr: Float64Array;
  /** parameters in one group */
  groupParams: number;
}

/**
 * Everything a structured plan needs that does not depend on the target: the scored groups and the
 * order they go in. Reading and scoring the tensors is the slow part; allocating a target from this
 * takes microseconds, so a slider can follow it. Plain data (structured-cloneable across threads).
 */
export interface StructuredScores {
  criterion: Criterion;
  alpha?: number;
  scope: string;
  layers: Array<{ id: string; params: number; sqNorm: number; importanceTotal: number }>;
  sets: ScoredSet[];
  /** every group as (set, group), lowest score per parameter first */
  orderSet: Uint32Array;
  orderGroup: Uint32Array;
}

/** Attention heads (MHA) or KV groups (GQA), and MLP channels; query heads alone need a uniform count per KV head, so they are left out. */
const PLANNED_KINDS: readonly GroupKind[] = ['attention_head', 'kv_group', 'mlp_channel'];

function groupParams(set: GroupSet): number {
  return set.members.reduce((s, m) => s + m.width * m.view[m.axis === 0 ? 1 : 0], 0);
}

async function layerInputs(tensors: CheckpointTensor[], criterion: Criterion, alpha: number | undefined) {
  const imp = new Map<string, Float32Array>();
  const sq = new Map<string, Float32Array>();
  let sqNorm = 0;
  for (const t of tensors) {
    const w = asFloat32(await loadTensorData(t));
    const m = t.moments.exp_avg && asFloat32(await loadTensorData(t.moments.exp_avg));
    const v = t.moments.exp_avg_sq && asFloat32(await loadTensorData(t.moments.exp_avg_sq));
    let meanV: number | undefined;
    if (v) meanV = v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
    imp.set(t.name, importance(criterion, { w, m, v, meanV, alpha }));
    const w2 = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) {
      w2[i] = w[i]! * w[i]!;
      sqNorm += w2[i]!;
    }
    sq.set(t.name, w2);
  }
  return { imp, sq, sqNorm };
}

export async function scoreStructured(ckpt: Checkpoint, req: Omit<StructuredPlanRequest, 'target'>): Promise<StructuredScores> {
  const arch = describeArchitecture(ckpt.tensors, { config: await readConfig(ckpt) });
  const layers = structuredGroups(arch);
  if (layers.length === 0) {
    throw new Error(`no structured groups: the architecture is ${arch.family} (${arch.evidence}); structured plans know LLaMA-, GPT-NeoX-, GPT-2- and BERT-style blocks`);
  }
  const byName = new Map(ckpt.tensors.map((t) => [t.name, t]));
  const sets: ScoredSet[] = [];
  const perLayer: StructuredScores['layers'] = [];
  for (const [li, lg] of layers.entries()) {
    req.signal?.throwIfAborted();
    const planned = lg.sets.filter((s) => PLANNED_KINDS.includes(s.kind));
    const names = [...new Set(planned.flatMap((s) => s.members.map((m) => m.tensor)))];
    const tensors = names.map((n) => byName.get(n)!);
    const { imp, sq, sqNorm } = await layerInputs(tensors, req.criterion, req.alpha);
    let importanceTotal = 0;
    for (const a of imp.values()) for (let i = 0; i < a.length; i++) importanceTotal += a[i]!;
    perLayer.push({ id: lg.layer, params: tensors.reduce((s, t) => s + t.numel, 0), sqNorm, importanceTotal });
    for (const set of planned) sets.push({ layer: li, set, score: scoreGroups(set, imp), sqErr: scoreGroups(set, sq), groupParams: groupParams(set) });
  }
  const candidates: Array<{ s: number; g: number; key: number }> = [];
  for (const [s, ss] of sets.entries()) for (let g = 0; g < ss.set.count; g++) candidates.push({ s, g, key: ss.score[g]! / ss.groupParams });
  candidates.sort((a, b) => a.key - b.key || a.s - b.s || a.g - b.g);
  return {
    criterion: req.criterion,
    alpha: req.alpha,
    scope: `${arch.family} attention ${arch.shape.headDim === null ? '(no head split known: MLP channels only)' : 'heads/KV groups'} and MLP channels of numbered blocks`,
    layers: perLayer,
    sets,
    orderSet: Uint32Array.from(candidates, (c) => c.s),
    orderGroup: Uint32Array.from(candidates, (c) => c.g),
  };
}

/** The plan for a target from scored groups: lowest score per parameter first, every set keeping one group. */
export function allocateStructured(scores: StructuredScores, target: number): StructuredPlan {
  if (!(target >= 0 && target < 1)) throw new RangeError('the structured target must be in [0, 1)');
  const { sets, layers: perLayer } = scores;
  const total = perLayer.reduce((s, l) => s + l.params, 0);
  const goal = target * total;
  const removedBySet = sets.map(() => [] as number[]);
  let removed = 0;
  for (let i = 0; i < scores.orderSet.length && removed < goal; i++) {
    const s = scores.orderSet[i]!;
    const ss = sets[s]!;
    if (removedBySet[s]!.length >= ss.set.count - 1) continue;
    removedBySet[s]!.push(scores.orderGroup[i]!);
    removed += ss.groupParams;
  }
  const slices: SliceRef[] = [];
  const layerPlans: StructuredLayerPlan[] = perLayer.map((l) => ({ layer: l.id, params: l.params, removed: 0, ratio: 0, relErr: 0, importanceRemovedFrac: 0, groups: [] }));
  const sqRemoved = perLayer.map(() => 0);
  const impRemoved = perLayer.map(() => 0);
  for (const [s, ss] of sets.entries()) {
    const idx = removedBySet[s]!.sort((a, b) => a - b);
    const lp = layerPlans[ss.layer]!;
    lp.groups.push({ kind: ss.set.kind, count: ss.set.count, removed: idx });
    lp.removed += idx.length * ss.groupParams;
    for (const g of idx) {
      sqRemoved[ss.layer] += ss.sqErr[g]!;
      impRemoved[ss.layer] += ss.score[g]!;
      slices.push(...groupMembers(ss.set, g));
    }
  }
  let sqErrTotal = 0;
  let sqNormTotal = 0;
  for (const [i, lp] of layerPlans.entries()) {
    const l = perLayer[i]!;
    lp.ratio = l.params > 0 ? lp.removed / l.params : 0;
    lp.relErr = l.sqNorm > 0 ? Math.sqrt(sqRemoved[i]! / l.sqNorm) : 0;
    lp.importanceRemovedFrac = l.importanceTotal > 0 ? impRemoved[i]! / l.importanceTotal : 0;
    sqErrTotal += sqRemoved[i]!;
    sqNormTotal += l.sqNorm;
  }
  const messages: string[] = [];
  if (removed < goal) messages.push(`only ${removed} of the ${Math.ceil(goal)} parameters asked for can go: every block keeps at least one head and one channel`);
  return {
    structured: true,
    criterion: scores.criterion,
    target,
    paramsBefore: total,
    paramsAfter: total - removed,
    removed,
    achievedSparsity: total > 0 ? removed / total : 0,
    relErr: sqNormTotal > 0 ? Math.sqrt(sqErrTotal / sqNormTotal) : 0,
    layers: layerPlans,
    slices,
    tensors: {},
    alpha: scores.alpha,
    scope: scores.scope,
    messages,
  };
}

export async function planStructured(ckpt: Checkpoint, req: StructuredPlanRequest): Promise<StructuredPlan> {
  if (!(req.target >= 0 && req.target < 1)) throw new RangeError('the structured target must be in [0, 1)');
  return allocateStructured(await scoreStructured(ckpt, req), req.target);
}
