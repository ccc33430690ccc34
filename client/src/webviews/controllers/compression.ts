// The compression report's host side: the summary of the compress job that opened it, or (a restored
// panel, a .ckpz opened in the editor) the archive's own records from checkpointLens/archiveInfo.
import type { CompressSummary } from '../../../../server/src/compress/compress.ts';
import { ArchiveInfo } from '../../../../server/src/protocol.ts';
import type { CompressionData, PanelArgs, ToHost } from '../../../../webview/src/protocol.ts';
import { compressionFromArchive, compressionFromSummary } from '../convertCompression.ts';
import type { Controller, ControllerContext } from '../hostApi.ts';
import { busy, reporting } from './common.ts';

export class CompressionController implements Controller<'compression'> {
  private data: CompressionData | undefined;

  constructor(
    private readonly ctx: ControllerContext<'compression'>,
    public args: PanelArgs['compression'],
    private summary: CompressSummary | undefined,
  ) {}

  retarget(args: PanelArgs['compression'], summary?: CompressSummary): void {
    this.args = args;
    this.summary = summary;
    this.data = undefined;
  }

  handle(m: ToHost<'compression'>): Promise<void> {
    return reporting(this.ctx, async () => {
      if (m.type === 'ready') this.ctx.post(await this.load());
    });
  }

  private async load(): Promise<CompressionData> {
    if (this.data) return this.data;
    if (this.summary) return (this.data = compressionFromSummary(this.args, this.summary));
    const archive = this.args.archive;
    if (archive === undefined) throw new Error('No archive to report on: compress a checkpoint, or open a .ckpz file.');
    const info = await busy(this.ctx, 'Reading the archive…', () => this.ctx.server.request(ArchiveInfo, { archive }, { signal: this.ctx.signal }));
    return (this.data = compressionFromArchive(this.args, info));
  }
}
