// Compare Checkpoints: the per-tensor difference of two checkpoints, shown as the report of the newer
// one with the older as its reference (residual statistics per tensor). Two checkpoints selected in the
// explorer are compared directly, the later step against the earlier.
import { ListCheckpoints, type CheckpointList } from '../../../server/src/protocol.ts';
import { targetFromArgs } from './args.ts';
import { checkpointName, findEntry, pickCheckpoint, referenceEntries, resolveChoice } from './checkpointPicks.ts';
import type { CommandContext } from './context.ts';

const TITLE = 'Compare Checkpoints';

/** [newer, older] by step when both are known, else in the order given. */
export function orderPair(list: CheckpointList, a: string, b: string): [string, string] {
  const sa = findEntry(list, a)?.step;
  const sb = findEntry(list, b)?.step;
  return sa != null && sb != null && sa < sb ? [b, a] : [a, b];
}

export async function compareCheckpoints(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const { selection } = targetFromArgs(args);
  const list = await ctx.server.request(ListCheckpoints, {});
  let checkpoint: string | undefined;
  let reference: string | undefined;
  if (selection.length >= 2) {
    [checkpoint, reference] = orderPair(list, selection[0]!, selection[1]!);
  } else {
    checkpoint = selection[0] ?? (await pickCheckpoint(ctx.ui, list, { title: `${TITLE}: the checkpoint`, placeholder: 'The later checkpoint' }));
    if (checkpoint === undefined) return;
    const choice = await ctx.ui.pick(referenceEntries(list, checkpoint), { title: `${TITLE}: compare ${checkpointName(checkpoint)} with`, placeholder: 'The earlier checkpoint' });
    reference = await resolveChoice(ctx.ui, choice, `${TITLE}: compare with`);
    if (reference === undefined) return;
  }
  ctx.panels.openReport({ checkpoint, reference });
}
