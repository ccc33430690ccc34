// Moment histograms' host side: the context (checkpoint, checkpoints to overlay), then every
// histogram kind of the tensor in one or two checkpoints; a kind that cannot be had says why.
import { HistogramRequest, type HistogramParams } from '../../../../server/src/protocol.ts';
import { HISTOGRAM_KINDS, type CheckpointRef, type HistogramKind, type HistogramSeries, type HistogramsRequest, type ToWebview } from '../../../../webview/src/protocol.ts';
import { histogramData, labelOfPath } from '../convert.ts';
import { busy, errorText } from './common.ts';
import { TensorPanelController } from './tensorPanel.ts';

export class HistogramsController extends TensorPanelController<'histograms'> {
  /** the checkpoints one can overlay, as last sent */
  private all: CheckpointRef[] = [];

  protected context(checkpoint: CheckpointRef, all: CheckpointRef[]): ToWebview<'histograms'> {
    this.all = all;
    return { type: 'histograms/context', args: this.args, checkpoint, checkpoints: all };
  }

  protected async answer(main: CheckpointRef, m: HistogramsRequest): Promise<void> {
    const other = m.compareWith === null ? [] : [this.all.find((c) => c.path === m.compareWith) ?? { path: m.compareWith, label: labelOfPath(m.compareWith) }];
    const jobs = [main, ...other].flatMap((ck) => HISTOGRAM_KINDS.map((kind) => this.one(ck, m, kind)));
    const series = await busy(this.ctx, `Histograms of ${m.tensor}…`, () => Promise.all(jobs));
    this.ctx.post({ type: 'histograms/data', requestId: m.requestId, tensor: m.tensor, series });
  }

  private async one(ck: CheckpointRef, m: HistogramsRequest, kind: HistogramKind): Promise<HistogramSeries> {
    const params: HistogramParams = { checkpoint: ck.path, tensor: m.tensor, kind };
    if (m.xScale !== 'auto' && kind !== 'update') params.log = m.xScale === 'log';
    try {
      const h = await this.ctx.server.request(HistogramRequest, params, { signal: this.ctx.signal });
      return { kind, checkpoint: ck.label, histogram: histogramData(h), note: null };
    } catch (e) {
      if (this.ctx.signal.aborted) throw e;
      return { kind, checkpoint: ck.label, histogram: null, note: errorText(e) };
    }
  }
}
