// Select Active Checkpoint: which checkpoint hovers, diagnostics and the analyses default to: a pinned
// one, the newest (auto: follows new checkpoints as training writes them), or none (hovers cover all).
import { ListCheckpoints, SelectCheckpoint, type SelectCheckpointParams } from '../../../server/src/protocol.ts';
import type { PickEntry } from '../ui/ui.ts';
import { targetFromArgs } from './args.ts';
import { BROWSE_ITEMS, checkpointEntries, findEntry, resolveChoice, type CheckpointChoice } from './checkpointPicks.ts';
import type { CommandContext } from './context.ts';

const TITLE = 'Select Active Checkpoint';

type Selection = CheckpointChoice | { kind: 'auto' };

export async function selectActiveCheckpoint(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const given = targetFromArgs(args).checkpoint;
  let params: SelectCheckpointParams;
  if (given !== undefined) {
    params = { path: given };
  } else {
    const list = await ctx.server.request(ListCheckpoints, {});
    const pinned = list.selection === 'user' ? list.active : null;
    const items: PickEntry<Selection>[] = [
      { label: 'Follow the newest checkpoint', description: list.selection === 'auto' ? 'current' : undefined, detail: 'the active checkpoint moves to each new one training writes', value: { kind: 'auto' }, picked: list.selection === 'auto' },
      { separator: 'Checkpoints' },
      ...checkpointEntries(list).map((i) => ('value' in i ? { ...i, picked: i.value.kind === 'path' && i.value.path === pinned } : i)),
      { separator: '' },
      { label: 'No active checkpoint', description: list.selection === 'none' ? 'current' : undefined, detail: 'hovers show every checkpoint that has the tensor', value: { kind: 'none' }, picked: list.selection === 'none' },
      ...BROWSE_ITEMS,
    ];
    const choice = await ctx.ui.pick(items, { title: TITLE, placeholder: 'Hovers, diagnostics and analyses use the active checkpoint' });
    if (choice === undefined) return;
    if (choice.kind === 'auto') params = { path: null, auto: true };
    else if (choice.kind === 'none') params = { path: null };
    else {
      const path = await resolveChoice(ctx.ui, choice, TITLE);
      if (path === undefined) return;
      params = { path };
    }
  }
  const after = await ctx.server.request(SelectCheckpoint, params);
  // A path outside the workspace index selects nothing: say so rather than leave the old one silently.
  if (params.path !== null && (after.active === null || !findEntry(after, params.path))) {
    await ctx.ui.message('warning', `${params.path} is not a checkpoint the workspace index knows; the active checkpoint is ${after.active ?? 'none'}.`);
  }
}
