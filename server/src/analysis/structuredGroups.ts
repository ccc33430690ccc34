// Structured groups of a whole model (ALGORITHMS.md §3): per block, its attention and MLP group sets.
import type { ModelArchitecture } from './architecture.ts';
import { familyLayout } from './architectureFamilies.ts';
import type { NamedShape } from './layers.ts';
import { attentionGroupSets } from './structuredAttention.ts';
import { mlpGroupSets } from './structuredMlp.ts';
import type { LayerGroups } from './structuredTypes.ts';

export type { GroupKind, GroupSet, LayerGroups, SliceRef, StridedSlice } from './structuredTypes.ts';
export { groupMembers, view2d } from './structuredTypes.ts';
export { elementRuns, scoreGroups, type GroupReduce, type ImportanceMap } from './structuredScore.ts';

/**
 * Group sets of every block that holds its family's weights. Attention groups need the head split
 * (`shape.headDim`); without it only MLP channels are returned. A generic model has no groups.
 */
export function structuredGroups(model: Pick<ModelArchitecture<NamedShape>, 'family' | 'layers' | 'shape'>): LayerGroups[] {
  const layout = familyLayout(model.family);
  if (!layout) return [];
  const headDim = model.shape.headDim;
  const result: LayerGroups[] = [];
  for (const layer of model.layers) {
    if (layer.kind !== 'block') continue;
    const sets = [...(headDim === null ? [] : attentionGroupSets(layout, layer, headDim)), ...mlpGroupSets(layout, layer)];
    if (sets.length > 0) result.push({ layer: layer.id, index: layer.index, sets });
  }
  return result;
}
