// Zero-point effect's host side: the context, then checkpointLens/zeroPoint for the chosen tensor.
import { ZeroPoint } from '../../../../server/src/protocol.ts';
import type { CheckpointRef, ToWebview, ZeroPointRequest } from '../../../../webview/src/protocol.ts';
import { zeroPointData } from '../convert.ts';
import { busy } from './common.ts';
import { TensorPanelController } from './tensorPanel.ts';

export class ZeroPointController extends TensorPanelController<'zeroPoint'> {
  protected context(checkpoint: CheckpointRef): ToWebview<'zeroPoint'> {
    return { type: 'zeroPoint/context', args: this.args, checkpoint };
  }

  protected async answer(checkpoint: CheckpointRef, m: ZeroPointRequest): Promise<void> {
    const z = await busy(this.ctx, `Quantizing exp_avg_sq of ${m.tensor}…`, (progress) => this.ctx.server.request(ZeroPoint, { checkpoint: checkpoint.path, tensor: m.tensor }, { progress, signal: this.ctx.signal }));
    this.ctx.post(zeroPointData(m.requestId, m.tensor, z));
  }
}
