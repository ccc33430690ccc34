// Outliers' host side: the context, then checkpointLens/outlierProfile for the chosen tensor and k
// (the server's outlierK setting when the webview leaves k to it).
import { OutlierProfile, type OutlierProfileParams } from '../../../../server/src/protocol.ts';
import type { CheckpointRef, OutliersRequest, PanelArgs, ToHost } from '../../../../webview/src/protocol.ts';
import { outliersData } from '../convert.ts';
import type { Controller, ControllerContext } from '../hostApi.ts';
import { busy, reporting, resolveCheckpoint, tensorNames } from './common.ts';

export class OutliersController implements Controller<'outliers'> {
  private checkpoint: CheckpointRef | undefined;

  constructor(
    private readonly ctx: ControllerContext<'outliers'>,
    public args: PanelArgs['outliers'],
  ) {}

  retarget(args: PanelArgs['outliers']): void {
    this.args = args;
    this.checkpoint = undefined;
  }

  handle(m: ToHost<'outliers'>): Promise<void> {
    return reporting(this.ctx, async () => {
      switch (m.type) {
        case 'ready': {
          const { checkpoint } = await resolveCheckpoint(this.ctx, this.args.checkpoint);
          this.checkpoint = checkpoint;
          this.ctx.post({ type: 'outliers/context', args: this.args, checkpoint });
          break;
        }
        case 'requestTensors':
          if (this.checkpoint) this.ctx.post({ type: 'tensors', names: await tensorNames(this.ctx, this.checkpoint.path) });
          break;
        case 'outliers/request':
          if (this.checkpoint) await this.profile(this.checkpoint, m);
          break;
      }
    });
  }

  private async profile(checkpoint: CheckpointRef, m: OutliersRequest): Promise<void> {
    const params: OutlierProfileParams = { checkpoint: checkpoint.path, tensor: m.tensor };
    if (m.k !== null) params.k = m.k;
    const o = await busy(this.ctx, `Profiles of ${m.tensor}…`, (progress) => this.ctx.server.request(OutlierProfile, params, { progress, signal: this.ctx.signal }));
    this.ctx.post(outliersData(m.requestId, m.tensor, o));
  }
}
