// Moment histograms' host side: the context (checkpoint, checkpoints to overlay), then every
// histogram kind of the tensor in one or two checkpoints; a kind that cannot be had says why.
import { HistogramRequest, type HistogramParams } from '../../../../server/src/protocol.ts';
import { HISTOGRAM_KINDS, type CheckpointRef, type HistogramKind, type HistogramSeries, type HistogramsRequest, type PanelArgs, type ToHost } from '../../../../webview/src/protocol.ts';
import { histogramData, labelOfPath } from '../convert.ts';
import type { Controller, ControllerContext } from '../hostApi.ts';
import { busy, errorText, reporting, resolveCheckpoint, tensorNames } from './common.ts';

export class HistogramsController implements Controller<'histograms'> {
  private checkpoint: CheckpointRef | undefined;
  private all: CheckpointRef[] = [];

  constructor(
    private readonly ctx: ControllerContext<'histograms'>,
    public args: PanelArgs['histograms'],
  ) {}

  retarget(args: PanelArgs['histograms']): void {
    this.args = args;
    this.checkpoint = undefined;
  }

  handle(m: ToHost<'histograms'>): Promise<void> {
    return reporting(this.ctx, async () => {
      switch (m.type) {
        case 'ready': {
          const r = await resolveCheckpoint(this.ctx, this.args.checkpoint);
          this.checkpoint = r.checkpoint;
          this.all = r.all;
          this.ctx.post({ type: 'histograms/context', args: this.args, checkpoint: r.checkpoint, checkpoints: r.all });
          break;
        }
        case 'requestTensors':
          if (this.checkpoint) this.ctx.post({ type: 'tensors', names: await tensorNames(this.ctx, this.checkpoint.path) });
          break;
        case 'histograms/request':
          if (this.checkpoint) await this.histograms(this.checkpoint, m);
          break;
      }
    });
  }

  private async histograms(main: CheckpointRef, m: HistogramsRequest): Promise<void> {
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
