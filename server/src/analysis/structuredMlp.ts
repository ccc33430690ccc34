// MLP channel groups of one block: channel j = output j of every projection into the MLP (gate and up
// for SwiGLU) with their biases, and input j of the projection out of it.
import type { FamilyLayout } from './architectureFamilies.ts';
import { blockMlpWidth } from './architectureShape.ts';
import type { Layer } from './layers.ts';
import { groupSet, ModuleSlicer, type GroupSet } from './structuredTypes.ts';

/** The block's MLP channel set; empty when the block lacks the family's MLP weights. */
export function mlpGroupSets(layout: FamilyLayout, layer: Layer): GroupSet[] {
  const { into, out, transposed } = layout.mlp;
  const slicer = new ModuleSlicer(layer);
  const width = blockMlpWidth(layout, layer);
  if (width === null || !slicer.has(...into, out)) return [];
  // groupSet checks that every member has exactly `width` channels along its sliced axis.
  const members = [...into.flatMap((m) => slicer.outputs(m, transposed, 0, 1)), slicer.inputs(out, transposed, 0, 1)];
  return [groupSet('mlp_channel', width, members)];
}
