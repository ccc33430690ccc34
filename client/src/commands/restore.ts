// Restore Checkpoint…: an archive, which step (series archives hold several; empty is the last), the
// directory to write, then the job under progress; the reference checkpoint is asked for only when the
// archive needs one.
import { Restore, type RestoreParams } from '../../../server/src/protocol.ts';
import { chooseArchive } from './archivePick.ts';
import { checkpointName } from './checkpointPicks.ts';
import type { CommandContext } from './context.ts';
import { runJob } from './job.ts';
import { freePath, restoredPathFor } from './paths.ts';
import { withReferenceRetry } from './referenceRetry.ts';
import { restoreSummary } from './summaries.ts';

const TITLE = 'Restore Checkpoint';

/** '' → the last entry; an integer → that step; anything else is refused by the input box. */
export function parseStep(text: string): { step?: number; error?: string } {
  const t = text.trim();
  if (t === '') return {};
  return /^\d+$/.test(t) ? { step: Number(t) } : { error: 'Enter a training step (an integer), or leave it empty for the last entry' };
}

export async function restoreCheckpoint(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const archive = await chooseArchive(ctx, args, TITLE);
  if (archive === undefined) return;
  const stepText = await ctx.ui.input({
    title: `${TITLE}: step`,
    prompt: 'Which step to restore from a series archive; leave empty for the last entry',
    placeholder: 'the last entry',
    validate: (t) => parseStep(t).error,
  });
  if (stepText === undefined) return;
  const { step } = parseStep(stepText);
  const output = await ctx.ui.saveDialog({ title: `${TITLE}: where to write it`, defaultPath: await freePath(restoredPathFor(archive), ctx.exists) });
  if (output === undefined) return;
  const result = await withReferenceRetry(ctx, TITLE, (reference) => {
    const params: RestoreParams = { archive, output, ...(step !== undefined && { step }), ...(reference !== undefined && { reference }) };
    return runJob(ctx, `Restoring ${checkpointName(archive)}`, (token, onProgress) => ctx.server.request(Restore, params, { token, onProgress }));
  });
  if (!result) return;
  const button = await ctx.ui.message('info', restoreSummary(result, archive), 'Open Report', 'Reveal');
  if (button === 'Open Report') ctx.panels.openReport({ checkpoint: result.output });
  else if (button === 'Reveal') await ctx.ui.reveal(result.output);
}
