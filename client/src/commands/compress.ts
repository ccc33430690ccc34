// Compress Checkpoint…: a checkpoint or a run directory (from the explorer or a pick), a reference when
// one applies (the previous step by default), the mode and ExCP parameters (remembered), the archive
// path (a save dialog, next to the source by default), then the job under a cancellable progress
// notification and a summary with "Open Report" / "Reveal Archive".
import { basename } from 'node:path';
import { Compress, ListCheckpoints, type CheckpointList, type CompressParams } from '../../../server/src/protocol.ts';
import type { CompressionMode } from '../../../server/src/settings.ts';
import type { PickEntry } from '../ui/ui.ts';
import { targetFromArgs } from './args.ts';
import { BROWSE_ITEMS, checkpointEntries, checkpointName, findEntry, referenceEntries, resolveChoice, runDirectories, type CheckpointChoice } from './checkpointPicks.ts';
import type { CommandContext } from './context.ts';
import { pickMode, pickParameters, readRemembered, REMEMBERED_KEY, type ExcpChoice, type RememberedCompression } from './compressParams.ts';
import { runJob } from './job.ts';
import { archivePathFor, freePath } from './paths.ts';
import { compressSummary } from './summaries.ts';

const TITLE = 'Compress Checkpoint';

type Source = { kind: 'checkpoint'; path: string } | { kind: 'run'; path: string };

function sourceOf(list: CheckpointList, path: string): Source {
  if (runDirectories(list).some((r) => r.path === path)) return { kind: 'run', path };
  return { kind: 'checkpoint', path: findEntry(list, path)?.path ?? path };
}

async function pickSource(ctx: CommandContext, list: CheckpointList): Promise<Source | undefined> {
  const runs = runDirectories(list).filter((r) => r.checkpoints.length > 1);
  const items: PickEntry<CheckpointChoice | { kind: 'run'; path: string }>[] = [{ separator: 'Checkpoints' }, ...checkpointEntries(list)];
  if (runs.length > 0) {
    items.push({ separator: 'Run directories: every checkpoint into one series archive' });
    for (const r of runs) {
      const steps = r.checkpoints.map((c) => c.step);
      items.push({ label: basename(r.path), description: r.label, detail: `${r.checkpoints.length} checkpoints, steps ${steps[0]}–${steps.at(-1)}`, value: { kind: 'run', path: r.path } });
    }
  }
  items.push(...BROWSE_ITEMS);
  const choice = await ctx.ui.pick(items, { title: `${TITLE}: what to compress`, placeholder: 'Pick a checkpoint, or a run directory for a series archive' });
  if (choice?.kind === 'run') return choice;
  const path = await resolveChoice(ctx.ui, choice, `${TITLE}: what to compress`);
  return path === undefined ? undefined : sourceOf(list, path);
}

/** undefined: dismissed; null: no reference. */
async function pickReference(ctx: CommandContext, list: CheckpointList, source: string): Promise<string | null | undefined> {
  const items = referenceEntries(list, source, { label: 'No reference', detail: 'store this checkpoint on its own (lossless: ExCP needs a reference)' });
  const choice = await ctx.ui.pick(items, { title: `${TITLE}: reference for ${checkpointName(source)}`, placeholder: 'ExCP stores the difference to an earlier checkpoint' });
  if (choice === undefined) return undefined;
  if (choice.kind === 'none') return null;
  return (await resolveChoice(ctx.ui, choice, `${TITLE}: reference`)) ?? undefined;
}

/** The archive to write and whether to append to it (a run directory whose archive exists already). */
async function chooseOutput(ctx: CommandContext, source: Source): Promise<{ path: string; append: boolean } | undefined> {
  const natural = archivePathFor(source.path);
  if (source.kind === 'run' && (await ctx.exists(natural))) {
    const append = await ctx.ui.pick(
      [
        { label: `Append the new checkpoints to ${checkpointName(natural)}`, detail: 'only the steps after the archive’s last entry are added', value: true, picked: true },
        { label: 'Write a new archive…', value: false },
      ],
      { title: `${TITLE}: archive` },
    );
    if (append === undefined) return undefined;
    if (append) return { path: natural, append: true };
  }
  const path = await ctx.ui.saveDialog({ title: `${TITLE}: archive to write`, defaultPath: await freePath(natural, ctx.exists), filters: { 'Checkpoint archive': ['ckpz'] } });
  return path === undefined ? undefined : { path, append: false };
}

function excpParams(c: ExcpChoice): Partial<CompressParams> {
  const p: Partial<CompressParams> = { beta: c.beta, bits: c.bits, bitsMoments: c.bitsMoments };
  if (c.targetRatio !== undefined) p.targetRatio = c.targetRatio;
  else if (c.maxRelErr !== undefined) p.maxRelErr = c.maxRelErr;
  else p.alpha = c.alpha;
  return p;
}

export async function compressCheckpoint(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const list = await ctx.server.request(ListCheckpoints, {});
  const target = targetFromArgs(args);
  const source = target.checkpoint !== undefined ? sourceOf(list, target.checkpoint) : await pickSource(ctx, list);
  if (!source) return;

  let reference: string | undefined;
  if (source.kind === 'checkpoint') {
    const ref = await pickReference(ctx, list, source.path);
    if (ref === undefined) return;
    reference = ref ?? undefined;
  }

  const remembered = readRemembered(ctx.memory.get(REMEMBERED_KEY), ctx.settings().compression);
  // ExCP stores differences: without a reference (and outside a run) there is nothing to prune.
  let mode: CompressionMode | undefined = 'lossless';
  if (source.kind === 'run' || reference !== undefined) mode = await pickMode(ctx.ui, TITLE, remembered.mode, source.kind === 'run');
  if (!mode) return;
  let excp: ExcpChoice | undefined;
  if (mode === 'excp') {
    excp = await pickParameters(ctx.ui, TITLE, remembered.excp, ctx.settings().compression);
    if (!excp) return;
  }

  const output = await chooseOutput(ctx, source);
  if (!output) return;
  const next: RememberedCompression = { mode: source.kind === 'run' || reference !== undefined ? mode : remembered.mode, excp: excp ?? remembered.excp };
  await ctx.memory.update(REMEMBERED_KEY, next);

  const params: CompressParams = {
    source: source.path,
    output: output.path,
    mode,
    ...(reference !== undefined && { reference }),
    ...(excp && excpParams(excp)),
    ...(output.append && { append: true }),
  };
  ctx.ui.log(`compress ${JSON.stringify(params)}`);
  const result = await runJob(ctx, `Compressing ${checkpointName(source.path)}`, (token, onProgress) => ctx.server.request(Compress, params, { token, onProgress }));
  if (!result) return;
  const button = await ctx.ui.message('info', compressSummary(result, source.path, reference), 'Open Report', 'Reveal Archive');
  if (button === 'Open Report') ctx.panels.openCompressionReport(result.summary);
  else if (button === 'Reveal Archive') await ctx.ui.reveal(result.archive);
}
