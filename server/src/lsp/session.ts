// One language-server session: the settings, the workspace index, the analysis worker, the job runner,
// the analysis store and the diagnostics, created per connection (nothing lives in module globals).
import { fileURLToPath } from 'node:url';
import { CancellationTokenSource, type CancellationToken, type ClientCapabilities, type Connection, type InitializeParams, type TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DTYPE_SIZE } from '../formats/dtype.ts';
import { BackendInfoNotification, CheckpointsChanged } from '../protocol.ts';
import { DEFAULT_SETTINGS, parseSettings, SETTINGS_SECTION, type ServerSettings } from '../settings.ts';
import { AnalysisStore } from './analysisStore.ts';
import { DiagnosticsPublisher } from './diagnostics.ts';
import { NoCheckpointError } from './errors.ts';
import { JobRunner, type Subscriber } from './jobRunner.ts';
import { pathParam } from './params.ts';
import { subscriberFor } from './progress.ts';
import { AnalysisWorker } from './workerClient.ts';
import { WorkspaceIndex, type IndexedCheckpoint } from './workspaceIndex.ts';

/** Root folders from the initialize request (file URIs only). */
export function workspaceRoots(params: Partial<Pick<InitializeParams, 'workspaceFolders' | 'rootUri' | 'rootPath'>>): string[] {
  const uris = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  const roots = uris.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
  if (roots.length === 0 && params.rootPath) roots.push(params.rootPath);
  return roots;
}

export class Session {
  private current: ServerSettings = DEFAULT_SETTINGS;
  private capabilities: ClientCapabilities = {};
  readonly index = new WorkspaceIndex();
  readonly jobs = new JobRunner();
  readonly worker: AnalysisWorker;
  readonly store: AnalysisStore;
  readonly diagnostics: DiagnosticsPublisher;
  private autoAnalysis: { path: string; cancel: CancellationTokenSource } | null = null;

  constructor(
    readonly connection: Connection,
    readonly documents: TextDocuments<TextDocument>,
  ) {
    this.worker = new AnalysisWorker({
      backend: ({ choice, kind, description }) => void connection.sendNotification(BackendInfoNotification, { choice, kind, description }),
      log: (level, message) => this.log(level, message),
    });
    this.store = new AnalysisStore({
      settings: () => this.current,
      worker: this.worker,
      jobs: this.jobs,
      onFullReport: () => void this.diagnostics.update(),
    });
    this.diagnostics = new DiagnosticsPublisher(connection, documents, this.index, this.store, () => this.current);
  }

  settings(): ServerSettings {
    return this.current;
  }

  get clientCapabilities(): ClientCapabilities {
    return this.capabilities;
  }

  initialize(params: InitializeParams): string[] {
    this.capabilities = params.capabilities ?? {};
    this.index.setRoots(workspaceRoots(params));
    return this.applySettings(params.initializationOptions, false);
  }

  /** Takes new settings; returns the warnings about bad values. Reacts to what changed. */
  applySettings(raw: unknown, react = true): string[] {
    const { settings, warnings } = parseSettings(raw);
    const before = this.current;
    this.current = settings;
    for (const w of warnings) this.log('warn', `settings: ${w}`);
    if (!react) return warnings;
    if (before.computeBackend !== settings.computeBackend) this.warmUp();
    void this.diagnostics.update();
    this.analyzeActive();
    return warnings;
  }

  /** The client's configuration, pulled when a didChangeConfiguration notification carries none. */
  async pullSettings(): Promise<void> {
    if (!this.capabilities.workspace?.configuration) return;
    const section: unknown = await this.connection.workspace.getConfiguration(SETTINGS_SECTION);
    this.applySettings(section);
  }

  /** Opens the compute backend in the worker, so the client learns which one it is (backendInfo). */
  warmUp(): void {
    this.worker.run({ kind: 'warmup' }, this.current.computeBackend, new AbortController().signal).catch((e: unknown) => this.log('warn', `compute backend: ${(e as Error).message}`));
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    const c = this.connection.console;
    if (level === 'error') c.error(message);
    else if (level === 'warn') c.warn(message);
    else c.info(message);
  }

  /** Re-indexes the workspace; on change tells the client, refreshes diagnostics and the active checkpoint's analysis. */
  async refreshIndex(): Promise<void> {
    const changed = await this.index.refresh();
    if (this.index.truncated) this.log('warn', 'workspace index: the walk stopped at its limit (depth 8 or 20,000 directories); some checkpoints may be missing');
    if (!changed) return;
    await this.connection.sendNotification(CheckpointsChanged, this.index.snapshot());
    await this.diagnostics.update();
    this.analyzeActive();
  }

  /** After a selection change. */
  async activeChanged(): Promise<void> {
    await this.connection.sendNotification(CheckpointsChanged, this.index.snapshot());
    this.analyzeActive();
  }

  /**
   * Analyses the active checkpoint in the background (value diagnostics, warm plans) when it is small
   * enough (diagnostics.autoAnalyzeMaxBytes); a previous background analysis of another checkpoint stops.
   */
  analyzeActive(): void {
    const active = this.index.active();
    const bytes = active?.checkpoint ? active.checkpoint.tensors.reduce((s, t) => s + t.numel * DTYPE_SIZE[t.dtype] + Object.values(t.moments).reduce((m, r) => m + (r?.byteLength ?? 0), 0), 0) : 0;
    const wanted = active && active.checkpoint && bytes <= this.current.diagnostics.autoAnalyzeMaxBytes && !this.store.latestFull(active) ? active : null;
    if (this.autoAnalysis && this.autoAnalysis.path !== wanted?.entry.path) {
      this.autoAnalysis.cancel.cancel();
      this.autoAnalysis = null;
    }
    if (!wanted || this.autoAnalysis) return;
    const cancel = new CancellationTokenSource();
    this.autoAnalysis = { path: wanted.entry.path, cancel };
    this.store
      .fullReport(wanted, {}, { token: cancel.token })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') this.log('warn', `background analysis of ${wanted.entry.path}: ${(e as Error).message}`);
      })
      .finally(() => {
        if (this.autoAnalysis?.cancel === cancel) this.autoAnalysis = null;
      });
  }

  /** The checkpoint a request names (a path or file URI), else the active one. */
  async checkpoint(param: string | undefined): Promise<IndexedCheckpoint> {
    let ck: IndexedCheckpoint | undefined | null;
    if (param === undefined) {
      ck = this.index.active();
      if (!ck) throw new NoCheckpointError('no checkpoint was named and none is active (the workspace has none, or the selection is "none")');
    } else {
      const path = pathParam(param, 'checkpoint');
      ck = await this.index.resolve(path);
      if (!ck) throw new NoCheckpointError(`no checkpoint at ${path}`);
    }
    if (ck.entry.error !== null) throw Object.assign(new Error(ck.entry.error), { name: 'FormatError' });
    if (!ck.checkpoint) throw Object.assign(new Error(`${ck.entry.path}: a .ckpz archive has no tensors to analyse; restore it first`), { name: 'FormatError' });
    return ck;
  }

  subscriber(params: unknown, token: CancellationToken): Subscriber {
    return subscriberFor(this.connection, params, token, this.capabilities.window?.workDoneProgress === true);
  }

  async dispose(): Promise<void> {
    this.autoAnalysis?.cancel.cancel();
    await this.worker.dispose();
  }
}
