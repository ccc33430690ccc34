// Pruning explorer's host side: plans follow the webview's (debounced) requests; "Apply…" asks
// where to write and runs applyPruningPlan under a progress notification; "Export plan…" saves the
// plan as JSON that `ckpt-lens prune --plan` reads.
import { basename, dirname, extname, join } from 'node:path';
import { ApplyPruningPlan, PruningPlanRequest, type PruningPlanParams } from '../../../../server/src/protocol.ts';
import type { CheckpointRef, PanelArgs, PlanParams, ToHost } from '../../../../webview/src/protocol.ts';
import { planView } from '../convert.ts';
import type { Controller, ControllerContext } from '../hostApi.ts';
import { busy, errorText, isCancellation, reporting, resolveCheckpoint } from './common.ts';

/** Beside the checkpoint: `checkpoint-200-pruned-50` (a directory) or `model-pruned-50.safetensors` (a single file). */
export function prunedOutputPath(checkpoint: string, target: number): string {
  const tag = `pruned-${Math.round(target * 100)}`;
  const ext = extname(checkpoint);
  if (ext === '.safetensors') return join(dirname(checkpoint), `${basename(checkpoint, ext)}-${tag}${ext}`);
  return `${checkpoint.replace(/[\\/]+$/, '')}-${tag}`;
}

export class PruningController implements Controller<'pruning'> {
  private checkpoint: CheckpointRef | undefined;

  constructor(
    private readonly ctx: ControllerContext<'pruning'>,
    public args: PanelArgs['pruning'],
  ) {}

  retarget(args: PanelArgs['pruning']): void {
    this.args = args;
    this.checkpoint = undefined;
  }

  handle(m: ToHost<'pruning'>): Promise<void> {
    return reporting(this.ctx, async () => {
      switch (m.type) {
        case 'ready': {
          const { checkpoint } = await resolveCheckpoint(this.ctx, this.args.checkpoint);
          this.checkpoint = checkpoint;
          this.ctx.post({ type: 'pruning/context', args: this.args, checkpoint });
          break;
        }
        case 'pruning/plan':
          if (this.checkpoint) await this.plan(this.checkpoint, m.requestId, m.params);
          break;
        case 'pruning/apply':
          if (this.checkpoint) await this.apply(this.checkpoint, m.params);
          break;
        case 'pruning/export':
          if (this.checkpoint) await this.export(this.checkpoint, m.params);
          break;
      }
    });
  }

  /** Structured plans have no strategy and no per-layer overrides: the webview keeps its overrides for when it switches back. */
  private request(checkpoint: CheckpointRef, p: PlanParams): PruningPlanParams {
    if (p.structured) return { checkpoint: checkpoint.path, target: p.target, criterion: p.criterion, structured: true };
    return { checkpoint: checkpoint.path, target: p.target, criterion: p.criterion, strategy: p.strategy, overrides: p.overrides };
  }

  private async plan(checkpoint: CheckpointRef, requestId: number, p: PlanParams): Promise<void> {
    try {
      // Fast once the checkpoint is analysed; the first plan waits for the analysis (with progress).
      const plan = await busy(this.ctx, 'Planning…', (progress) => this.ctx.server.request(PruningPlanRequest, this.request(checkpoint, p), { progress, signal: this.ctx.signal }));
      this.ctx.post({ type: 'pruning/planResult', requestId, plan: planView(plan) });
    } catch (e) {
      if (isCancellation(e) || this.ctx.signal.aborted) throw e;
      this.ctx.post({ type: 'pruning/planError', requestId, message: errorText(e) });
    }
  }

  private async apply(checkpoint: CheckpointRef, p: PlanParams): Promise<void> {
    const output = await this.ctx.ui.pickSaveLocation({
      title: 'Write the pruned checkpoint to (a new path; nothing is overwritten)',
      defaultPath: prunedOutputPath(checkpoint.path, p.target),
    });
    if (output === undefined) return;
    const result = await this.ctx.ui.withProgress(`Pruning ${checkpoint.label} to ${Math.round(p.target * 100)} %`, (signal, progress) =>
      this.ctx.server.request(ApplyPruningPlan, { ...this.request(checkpoint, p), output }, { signal, progress }),
    );
    const removed = result.tensors.reduce((s, t) => s + t.removed, 0);
    this.ctx.post({ type: 'pruning/applied', output: result.output, tensors: result.tensors.length, removed });
    this.ctx.ui.info(`Wrote the pruned checkpoint to ${result.output}.`);
  }

  private async export(checkpoint: CheckpointRef, p: PlanParams): Promise<void> {
    const path = await this.ctx.ui.pickSaveLocation({
      title: 'Save the pruning plan (JSON for ckpt-lens prune --plan)',
      defaultPath: `${prunedOutputPath(checkpoint.path, p.target).replace(/\.safetensors$/, '')}${p.structured ? '.structured' : ''}.plan.json`,
      filters: { 'Pruning plan': ['json'] },
    });
    if (path === undefined) return;
    const plan = await this.ctx.server.request(PruningPlanRequest, this.request(checkpoint, p), { signal: this.ctx.signal });
    await this.ctx.ui.writeFile(path, `${JSON.stringify(plan, null, 1)}\n`);
    this.ctx.ui.info(`Saved the pruning plan to ${path}.`);
  }
}
