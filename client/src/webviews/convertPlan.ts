// Pruning plans for the explorer: an unstructured plan (per-layer ratios of single weights) or a
// structured one (whole heads and channels) as one PlanView with per-layer typed arrays.
import type { CheckpointPlan } from '../../../server/src/analysis/planFromReport.ts';
import type { StructuredPlan } from '../../../server/src/analysis/structuredPlan.ts';
import type { GroupKind } from '../../../server/src/analysis/structuredTypes.ts';
import type { PruningPlanResult } from '../../../server/src/protocol.ts';
import type { PlanView } from '../../../webview/src/protocol.ts';

export function planView(p: PruningPlanResult): PlanView {
  return 'structured' in p ? structuredPlanView(p) : unstructuredPlanView(p);
}

function unstructuredPlanView(p: CheckpointPlan): PlanView {
  const per = (f: (l: CheckpointPlan['layers'][number]) => number) => Float64Array.from(p.layers, f);
  return {
    structured: false,
    criterion: p.criterion,
    strategy: p.strategy,
    target: p.target,
    feasible: p.feasible,
    messages: p.messages,
    layers: p.layers.map((l) => l.layer),
    params: per((l) => l.params),
    ratio: per((l) => l.ratio),
    kept: per((l) => l.kept),
    relErr: per((l) => l.relErr),
    fixed: Uint8Array.from(p.layers, (l) => (l.fixed ? 1 : 0)),
    groups: null,
    paramsBefore: p.paramsBefore,
    paramsAfter: p.paramsAfter,
    removed: p.removed,
    achievedSparsity: p.achievedSparsity,
    relErrTotal: p.relErr,
    lowerBoundRelErr: p.lowerBoundRelErr ?? null,
    denseBytes: p.bytes.denseBytes,
    sparseBitmaskBytes: p.bytes.sparseBitmaskBytes,
    bytesNote: p.bytes.note,
    scope: p.scope,
  };
}

const GROUP_NAMES: Record<GroupKind, string> = { attention_head: 'heads', kv_group: 'KV groups', query_head: 'query heads', mlp_channel: 'MLP channels' };

/** What a block loses, e.g. "KV groups 1/2 · MLP channels 40/256". */
export function groupsText(groups: StructuredPlan['layers'][number]['groups']): string {
  return groups.map((g) => `${GROUP_NAMES[g.kind]} ${g.removed.length}/${g.count}`).join(' · ');
}

function structuredPlanView(p: StructuredPlan): PlanView {
  const per = (f: (l: StructuredPlan['layers'][number]) => number) => Float64Array.from(p.layers, f);
  return {
    structured: true,
    criterion: p.criterion,
    strategy: null,
    target: p.target,
    // The plan says when the target cannot be reached (every block keeps a head and a channel).
    feasible: p.messages.length === 0,
    messages: p.messages,
    layers: p.layers.map((l) => l.layer),
    params: per((l) => l.params),
    ratio: per((l) => l.ratio),
    kept: per((l) => l.params - l.removed),
    relErr: per((l) => l.relErr),
    fixed: new Uint8Array(p.layers.length),
    groups: p.layers.map((l) => groupsText(l.groups)),
    paramsBefore: p.paramsBefore,
    paramsAfter: p.paramsAfter,
    removed: p.removed,
    achievedSparsity: p.achievedSparsity,
    relErrTotal: p.relErr,
    lowerBoundRelErr: null,
    denseBytes: null,
    sparseBitmaskBytes: null,
    bytesNote: 'Structured pruning zeroes whole heads and channels in place: the checkpoint keeps its shapes and size (dropping them physically would need a new config.json).',
    scope: p.scope,
  };
}
