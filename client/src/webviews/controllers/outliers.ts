// Outliers' host side: the context, then checkpointLens/outlierProfile for the chosen tensor and k
// (the server's outlierK setting when the webview leaves k to it).
import { OutlierProfile, type OutlierProfileParams } from '../../../../server/src/protocol.ts';
import type { CheckpointRef, OutliersRequest, ToWebview } from '../../../../webview/src/protocol.ts';
import { outliersData } from '../convert.ts';
import { busy } from './common.ts';
import { TensorPanelController } from './tensorPanel.ts';

export class OutliersController extends TensorPanelController<'outliers'> {
  protected context(checkpoint: CheckpointRef): ToWebview<'outliers'> {
    return { type: 'outliers/context', args: this.args, checkpoint };
  }

  protected async answer(checkpoint: CheckpointRef, m: OutliersRequest): Promise<void> {
    const params: OutlierProfileParams = { checkpoint: checkpoint.path, tensor: m.tensor };
    if (m.k !== null) params.k = m.k;
    const o = await busy(this.ctx, `Profiles of ${m.tensor}…`, (progress) => this.ctx.server.request(OutlierProfile, params, { progress, signal: this.ctx.signal }));
    this.ctx.post(outliersData(m.requestId, m.tensor, o));
  }
}
