// The commands that open a webview: from a hover link or the custom editor they carry
// `{ checkpoint, tensor }`; from the explorer a path; from the palette nothing, and then a pick
// (the active checkpoint preselected). A .ckpz archive's report is its compression report.
import { ListCheckpoints, type CheckpointEntry } from '../../../server/src/protocol.ts';
import { targetFromArgs, type CommandTarget } from './args.ts';
import { isOpenCheckpoint, pickCheckpoint } from './checkpointPicks.ts';
import type { CommandContext } from './context.ts';

async function resolveTarget(ctx: CommandContext, args: readonly unknown[], title: string, include: (e: CheckpointEntry) => boolean, emptyNote?: string): Promise<CommandTarget | undefined> {
  const target = targetFromArgs(args);
  if (target.checkpoint !== undefined) return target;
  const list = await ctx.server.request(ListCheckpoints, {});
  if (emptyNote && !list.checkpoints.some(include)) await ctx.ui.message('info', emptyNote);
  const checkpoint = await pickCheckpoint(ctx.ui, list, { title, include });
  return checkpoint === undefined ? undefined : { ...target, checkpoint };
}

export async function openReport(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const t = await resolveTarget(ctx, args, 'Open Checkpoint Report', (e) => e.error === null);
  if (!t) return;
  const archive = t.checkpoint?.toLowerCase().endsWith('.ckpz') ? t.checkpoint : undefined;
  if (archive !== undefined) ctx.panels.openCompressionReport({ archive });
  else ctx.panels.openReport({ checkpoint: t.checkpoint, ...(t.tensor !== undefined && { tensor: t.tensor }) });
}

export async function showHistograms(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const t = await resolveTarget(ctx, args, 'Show Moment Histograms', isOpenCheckpoint);
  if (t) ctx.panels.openHistogram({ checkpoint: t.checkpoint, ...(t.tensor !== undefined && { tensor: t.tensor }) });
}

export async function showZeroPoint(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const t = await resolveTarget(
    ctx,
    args,
    'Show Zero-Point Effect',
    (e) => isOpenCheckpoint(e) && e.optimizer,
    'The zero-point effect is about Adam’s exp_avg_sq, and no checkpoint in the workspace has optimizer moments; open one that does.',
  );
  if (t) ctx.panels.openZeroPoint({ checkpoint: t.checkpoint, ...(t.tensor !== undefined && { tensor: t.tensor }) });
}

export async function openPruningExplorer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const t = await resolveTarget(ctx, args, 'Open Pruning Explorer', isOpenCheckpoint);
  if (t) ctx.panels.openPruningExplorer({ checkpoint: t.checkpoint });
}

export async function showOutliers(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const t = await resolveTarget(ctx, args, 'Show Outliers', isOpenCheckpoint);
  if (t) ctx.panels.openOutliers({ checkpoint: t.checkpoint, ...(t.tensor !== undefined && { tensor: t.tensor }) });
}
