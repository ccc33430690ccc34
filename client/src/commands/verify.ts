// Verify Archive: checks a .ckpz archive's structure and every checksum; optionally decodes it and
// compares each tensor with the original checkpoint. The result is a notification, the details go to
// the output channel.
import { ListCheckpoints, Verify, type VerifyParams } from '../../../server/src/protocol.ts';
import type { PickEntry } from '../ui/ui.ts';
import { chooseArchive } from './archivePick.ts';
import { checkpointEntries, checkpointName, resolveChoice, BROWSE_ITEMS, type CheckpointChoice } from './checkpointPicks.ts';
import type { CommandContext } from './context.ts';
import { runJob } from './job.ts';
import { withReferenceRetry } from './referenceRetry.ts';
import { verifyDetails, verifySummary } from './summaries.ts';

const TITLE = 'Verify Archive';

/** undefined: dismissed; null: checksums only. */
async function pickOriginal(ctx: CommandContext): Promise<string | null | undefined> {
  const list = await ctx.server.request(ListCheckpoints, {});
  const items: PickEntry<CheckpointChoice>[] = [
    { label: 'Checksums only', detail: 'structure and every section’s CRC', value: { kind: 'none' }, picked: true },
    { separator: 'Also compare the restored tensors with the original' },
    ...checkpointEntries(list).map((i) => ({ ...i, picked: false })),
    ...BROWSE_ITEMS,
  ];
  const choice = await ctx.ui.pick(items, { title: `${TITLE}: how thoroughly`, placeholder: 'Checksums only, or also per-tensor errors against the original checkpoint' });
  if (choice === undefined) return undefined;
  if (choice.kind === 'none') return null;
  return (await resolveChoice(ctx.ui, choice, `${TITLE}: original checkpoint`)) ?? undefined;
}

export async function verifyArchive(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const archive = await chooseArchive(ctx, args, TITLE);
  if (archive === undefined) return;
  const against = await pickOriginal(ctx);
  if (against === undefined) return;
  const result = await withReferenceRetry(ctx, TITLE, (reference) => {
    const params: VerifyParams = { archive, ...(against !== null && { against }), ...(reference !== undefined && { reference }) };
    return runJob(ctx, `Verifying ${checkpointName(archive)}`, (token, onProgress) => ctx.server.request(Verify, params, { token, onProgress }));
  });
  if (!result) return;
  for (const line of verifyDetails(result)) ctx.ui.log(line);
  const button = await ctx.ui.message(result.ok ? 'info' : 'error', verifySummary(result), 'Show Details');
  if (button === 'Show Details') ctx.ui.showLog();
}
