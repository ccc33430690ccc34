// Choosing a .ckpz archive: the explorer's, else one of the workspace's, else a file dialog.
import { ListCheckpoints } from '../../../server/src/protocol.ts';
import type { PickEntry } from '../ui/ui.ts';
import { targetFromArgs } from './args.ts';
import { checkpointName, describeEntry } from './checkpointPicks.ts';
import type { CommandContext } from './context.ts';

export async function chooseArchive(ctx: CommandContext, args: readonly unknown[], title: string): Promise<string | undefined> {
  const given = targetFromArgs(args).checkpoint;
  if (given !== undefined) return given;
  const list = await ctx.server.request(ListCheckpoints, {});
  const items: PickEntry<string | null>[] = list.checkpoints
    .filter((e) => e.kind === 'ckpz')
    .sort((a, b) => b.modified - a.modified)
    .map((e) => ({ label: checkpointName(e.path), description: e.label, detail: describeEntry(e), value: e.path }));
  items.push({ separator: 'Elsewhere' }, { label: 'Open an archive…', description: '.ckpz', value: null });
  const choice = await ctx.ui.pick(items, { title: `${title}: archive`, placeholder: items.length > 2 ? 'Pick a .ckpz archive' : 'No .ckpz archives in the workspace: open one' });
  if (choice === undefined) return undefined;
  return choice ?? ctx.ui.openDialog({ title: `${title}: archive`, filters: { 'Checkpoint archive': ['ckpz'] } });
}
