// Archives compressed against an external checkpoint (compress with a reference) need that checkpoint
// to restore or verify. The server says which one in its error; the command then asks for it, with the
// named checkpoint preselected, and tries once more.
import { ListCheckpoints } from '../../../server/src/protocol.ts';
import { BROWSE_ITEMS, checkpointEntries, findEntry, resolveChoice } from './checkpointPicks.ts';
import type { CommandContext } from './context.ts';

// server/src/compress/restore.ts: `entry NAME was compressed against PATH (step N): pass that checkpoint with --ref`
const NEEDS_REFERENCE = /was compressed against (.+?) \(step [^)]*\): pass that checkpoint/;

/** The checkpoint path an error says is needed, or null when the error is about something else. */
export function neededReference(e: unknown): string | null {
  const message = e instanceof Error ? e.message : String(e);
  return NEEDS_REFERENCE.exec(message)?.[1] ?? null;
}

export async function withReferenceRetry<R>(ctx: CommandContext, title: string, run: (reference: string | undefined) => Promise<R | undefined>): Promise<R | undefined> {
  try {
    return await run(undefined);
  } catch (e) {
    const needed = neededReference(e);
    if (needed === null) throw e;
    const list = await ctx.server.request(ListCheckpoints, {});
    // The named checkpoint first when it is still in the workspace.
    const items = [...checkpointEntries(list).map((item) => ('value' in item && item.value.kind === 'path' ? { ...item, picked: item.value.path === needed } : item)), ...BROWSE_ITEMS];
    const known = findEntry(list, needed);
    const choice = await ctx.ui.pick(items, {
      title: `${title}: reference checkpoint`,
      placeholder: known ? `The archive was compressed against ${needed}` : `The archive was compressed against ${needed}, which is not in the workspace: open it`,
    });
    const reference = await resolveChoice(ctx.ui, choice, `${title}: reference checkpoint`);
    if (reference === undefined) return undefined;
    return run(reference);
  }
}
