// The host side of a one-tensor view (moment histograms, zero-point effect, outliers), the twin of
// webview/src/shared/tensorView.ts: `ready` resolves the checkpoint and sends the context,
// `requestTensors` the names for the picker, and the view's own request its data.
import type { CheckpointRef, PanelArgs, TensorViewKind, ToHost, ToWebview } from '../../../../webview/src/protocol.ts';
import type { Controller, ControllerContext } from '../hostApi.ts';
import { reporting, resolveCheckpoint, tensorNames } from './common.ts';

export type TensorRequest<V extends TensorViewKind> = Extract<ToHost<V>, { type: `${V}/request` }>;

export abstract class TensorPanelController<V extends TensorViewKind> implements Controller<V> {
  private checkpoint: CheckpointRef | undefined;

  constructor(
    protected readonly ctx: ControllerContext<V>,
    public args: PanelArgs[V],
  ) {}

  retarget(args: PanelArgs[V]): void {
    this.args = args;
    this.checkpoint = undefined;
  }

  handle(m: ToHost<V>): Promise<void> {
    return reporting(this.ctx, async () => {
      if (m.type === 'ready') {
        const { checkpoint, all } = await resolveCheckpoint(this.ctx, this.args.checkpoint);
        this.checkpoint = checkpoint;
        this.ctx.post(this.context(checkpoint, all));
      } else if (m.type === 'requestTensors') {
        if (this.checkpoint) this.ctx.post({ type: 'tensors', names: await tensorNames(this.ctx, this.checkpoint.path) } as ToWebview<V>);
      } else if (this.checkpoint) {
        await this.answer(this.checkpoint, m as TensorRequest<V>);
      }
    });
  }

  /** The view's context message; `all` lists the workspace's checkpoints. */
  protected abstract context(checkpoint: CheckpointRef, all: CheckpointRef[]): ToWebview<V>;

  /** Answers the view's data request for a tensor of `checkpoint`. */
  protected abstract answer(checkpoint: CheckpointRef, m: TensorRequest<V>): Promise<void>;
}
