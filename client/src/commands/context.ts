// What a command gets to work with. Every piece is an interface, so the flows run in tests without
// VS Code: extension.ts binds them to the editor, tests to fakes or a real server over stdio.
import type { CompressSummary } from '../../../server/src/compress/compress.ts';
import type { ServerSettings } from '../../../server/src/settings.ts';
import type { ServerApi } from '../lsp/serverApi.ts';
import type { Ui } from '../ui/ui.ts';

/** The webview panels (client/src/webviews, bound in extension.ts). */
export interface Panels {
  openReport(args: { checkpoint?: string; tensor?: string; reference?: string }): void;
  openHistogram(args: { checkpoint?: string; tensor?: string; compareWith?: string }): void;
  openZeroPoint(args: { checkpoint?: string; tensor?: string }): void;
  openPruningExplorer(args: { checkpoint?: string }): void;
  openOutliers(args: { checkpoint?: string; tensor?: string }): void;
  /** after a compress job its summary; otherwise the archive, whose records are read */
  openCompressionReport(source: CompressSummary | { archive: string }): void;
}

/** Values kept across sessions (the extension's globalState). */
export interface Memory {
  get(key: string): unknown;
  update(key: string, value: unknown): PromiseLike<void>;
}

export interface CommandContext {
  ui: Ui;
  server: ServerApi;
  panels: Panels;
  memory: Memory;
  /** the current settings (resolved on every configuration change) */
  settings(): ServerSettings;
  exists(path: string): Promise<boolean>;
}
