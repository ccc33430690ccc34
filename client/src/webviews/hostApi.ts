// What the panel controllers need from their surroundings: the language server and a little UI.
// Interfaces only, so controllers run in tests without VS Code (index.ts supplies the real ones).
import type { RequestType } from 'vscode-languageserver-protocol';
import type { CompressSummary } from '../../../server/src/compress/compress.ts';
import type { LinkedView, PanelArgs, ToHost, ToWebview, ViewKind } from '../../../webview/src/protocol.ts';

export type ProgressFn = (message: string | null, percentage: number | null) => void;

export interface RequestOptions {
  /** $/progress of the request (its workDoneToken is made for it) */
  progress?: ProgressFn;
  /** aborting sends $/cancelRequest */
  signal?: AbortSignal;
}

export interface ServerApi {
  request<P extends object, R>(type: RequestType<P, R, void>, params: P, options?: RequestOptions): Promise<R>;
}

export interface HostUi {
  /** Asks where to write something new; undefined when the user cancels. */
  pickSaveLocation(options: { title: string; defaultPath: string; filters?: Record<string, string[]> }): Promise<string | undefined>;
  writeFile(path: string, text: string): Promise<void>;
  /** Runs a long task under a cancellable progress notification. */
  withProgress<T>(title: string, task: (signal: AbortSignal, progress: ProgressFn) => Promise<T>): Promise<T>;
  info(message: string): void;
  openView(view: LinkedView, args: { checkpoint: string; tensor: string }): void;
}

export interface ControllerContext<V extends ViewKind> {
  server: ServerApi;
  ui: HostUi;
  /** to the webview; dropped while it is not loaded (its next `ready` asks again) */
  post(message: ToWebview<V>): void;
  /** aborted when the panel closes */
  signal: AbortSignal;
}

/**
 * What a command hands a panel besides its arguments, kept on the host only (not in the webview's
 * saved state: a restored panel does without it). The compression report gets the job's summary.
 */
export interface PanelSeeds {
  report: undefined;
  histograms: undefined;
  zeroPoint: undefined;
  pruning: undefined;
  outliers: undefined;
  compression: CompressSummary | undefined;
}

/** The host's side of one panel: answers its webview's messages. */
export interface Controller<V extends ViewKind> {
  readonly args: PanelArgs[V];
  /** a command reuses the panel for other arguments */
  retarget(args: PanelArgs[V], seed?: PanelSeeds[V]): void;
  handle(message: ToHost<V>): Promise<void>;
}
