// Zero-point effect's host side: the context, then checkpointLens/zeroPoint for the chosen tensor.
import { ZeroPoint } from '../../../../server/src/protocol.ts';
import type { CheckpointRef, PanelArgs, ToHost } from '../../../../webview/src/protocol.ts';
import { zeroPointData } from '../convert.ts';
import type { Controller, ControllerContext } from '../hostApi.ts';
import { busy, reporting, resolveCheckpoint, tensorNames } from './common.ts';

export class ZeroPointController implements Controller<'zeroPoint'> {
  private checkpoint: CheckpointRef | undefined;

  constructor(
    private readonly ctx: ControllerContext<'zeroPoint'>,
    public args: PanelArgs['zeroPoint'],
  ) {}

  retarget(args: PanelArgs['zeroPoint']): void {
    this.args = args;
    this.checkpoint = undefined;
  }

  handle(m: ToHost<'zeroPoint'>): Promise<void> {
    return reporting(this.ctx, async () => {
      switch (m.type) {
        case 'ready': {
          const { checkpoint } = await resolveCheckpoint(this.ctx, this.args.checkpoint);
          this.checkpoint = checkpoint;
          this.ctx.post({ type: 'zeroPoint/context', args: this.args, checkpoint });
          break;
        }
        case 'requestTensors':
          if (this.checkpoint) this.ctx.post({ type: 'tensors', names: await tensorNames(this.ctx, this.checkpoint.path) });
          break;
        case 'zeroPoint/request': {
          if (!this.checkpoint) break;
          const path = this.checkpoint.path;
          const z = await busy(this.ctx, `Quantizing exp_avg_sq of ${m.tensor}…`, (progress) => this.ctx.server.request(ZeroPoint, { checkpoint: path, tensor: m.tensor }, { progress, signal: this.ctx.signal }));
          this.ctx.post(zeroPointData(m.requestId, m.tensor, z));
          break;
        }
      }
    });
  }
}
