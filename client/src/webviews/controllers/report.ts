// The checkpoint report's host side: the per-layer report and every tensor's report become one
// report/data message (kept, so a reloaded webview gets it at once); a selected row gets its details.
import { LayerReportRequest, TensorSummary } from '../../../../server/src/protocol.ts';
import type { PanelArgs, ReportData, ToHost } from '../../../../webview/src/protocol.ts';
import { labelOfPath, reportData, reportDetails } from '../convert.ts';
import type { Controller, ControllerContext } from '../hostApi.ts';
import { busy, mapLimit, reporting, resolveCheckpoint } from './common.ts';

/** tensorSummary requests in flight at once (each is answered from the server's cached report). */
const SUMMARY_CONCURRENCY = 16;

export class ReportController implements Controller<'report'> {
  private data: Promise<ReportData> | undefined;

  constructor(
    private readonly ctx: ControllerContext<'report'>,
    public args: PanelArgs['report'],
  ) {}

  retarget(args: PanelArgs['report']): void {
    this.args = args;
    this.data = undefined;
  }

  handle(m: ToHost<'report'>): Promise<void> {
    return reporting(this.ctx, async () => {
      switch (m.type) {
        case 'ready':
          this.ctx.post(await this.load());
          break;
        case 'report/select': {
          const { checkpoint } = await this.load();
          const s = await this.ctx.server.request(TensorSummary, { checkpoint: checkpoint.path, tensor: m.tensor }, { signal: this.ctx.signal });
          this.ctx.post(reportDetails(s));
          break;
        }
        case 'report/open': {
          const { checkpoint } = await this.load();
          this.ctx.ui.openView(m.view, { checkpoint: checkpoint.path, tensor: m.tensor });
          break;
        }
      }
    });
  }

  private load(): Promise<ReportData> {
    this.data ??= this.fetch().catch((e: unknown) => {
      this.data = undefined; // the next ready tries again
      throw e;
    });
    return this.data;
  }

  private async fetch(): Promise<ReportData> {
    const { server, signal } = this.ctx;
    const { checkpoint } = await resolveCheckpoint(this.ctx, this.args.checkpoint);
    const reference = this.args.reference;
    const layers = await busy(this.ctx, `Analysing ${checkpoint.label}…`, (progress) => server.request(LayerReportRequest, { checkpoint: checkpoint.path, reference }, { progress, signal }));
    const names = layers.layers.flatMap((l) => l.tensors);
    const summaries = await busy(this.ctx, 'Collecting tensor reports…', () =>
      mapLimit(names, SUMMARY_CONCURRENCY, (tensor) => server.request(TensorSummary, { checkpoint: layers.checkpoint, tensor }, { signal })),
    );
    const tensors = summaries.flatMap((s) => (s.report ? [s.report] : []));
    return reportData(this.args, { ...checkpoint, path: layers.checkpoint }, layers, tensors, reference === undefined ? null : labelOfPath(reference));
  }
}
