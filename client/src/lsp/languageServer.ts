// The language server from the client's side: dist/server.js over Node IPC through vscode-languageclient,
// restarted after a crash with a notice (crashPolicy.ts), handed the settings object at start and on
// every change, with hovers trusted for our commands only. Implements ServerApi for the commands.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  ResponseError,
  RevealOutputChannelOn,
  State,
  TransportKind,
  WorkDoneProgress,
  type CloseHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { RequestType } from 'vscode-languageserver-protocol';
import { BackendInfoNotification, CheckpointsChanged, TENSOR_LISTING_SCHEME, type BackendInfo, type CheckpointList } from '../../../server/src/protocol.ts';
import { SETTINGS_SECTION, type ServerSettings } from '../../../server/src/settings.ts';
import { CrashPolicy } from './crashPolicy.ts';
import { trustOurCommands } from './hoverTrust.ts';
import { serverLaunch } from './launch.ts';
import type { RequestOptions, ServerApi, ServerState } from './serverApi.ts';

/** How long a command waits for a starting server before saying it is not running. */
const READY_TIMEOUT_MS = 60_000;

export interface LanguageServerEvents {
  checkpointsChanged(list: CheckpointList): void;
  backendInfo(info: BackendInfo): void;
  stateChanged(state: ServerState): void;
}

function stateOf(s: State): ServerState {
  return s === State.Running ? 'running' : s === State.Starting ? 'starting' : 'stopped';
}

export class LanguageServer implements ServerApi, vscode.Disposable {
  readonly client: LanguageClient;
  private readonly crashes = new CrashPolicy();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    extensionRoot: string,
    private readonly output: vscode.OutputChannel,
    private readonly settings: () => ServerSettings,
    events: LanguageServerEvents,
  ) {
    const launch = serverLaunch(extensionRoot);
    const serverOptions: ServerOptions = {
      run: { module: launch.run.module, transport: TransportKind.ipc },
      debug: { module: launch.debug.module, transport: TransportKind.ipc, options: { execArgv: launch.debug.execArgv } },
    };
    const clientOptions: LanguageClientOptions = {
      // Tensor names are hovered in any text (training scripts, configs, logs) and in our tensor listings.
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: TENSOR_LISTING_SCHEME }],
      outputChannel: output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: 'checkpointLens',
      // A function: a restarted server gets the settings of that moment.
      initializationOptions: () => this.settings(),
      markdown: { isTrusted: false, supportHtml: false },
      errorHandler: {
        error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
        closed: () => this.onClosed(),
      },
      middleware: {
        provideHover: async (document, position, token, next) => {
          const hover = await next(document, position, token);
          if (hover) trustOurCommands(hover.contents);
          return hover;
        },
        workspace: {
          // The server pulls `checkpointLens` only when a change notification carries none; answer with
          // the resolved object too, so both ways give it the same settings.
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (answer instanceof ResponseError) return answer;
            return params.items.map((item, i) => (item.section === SETTINGS_SECTION ? this.settings() : answer[i]));
          },
        },
      },
    };
    this.client = new LanguageClient('checkpointLens', 'Checkpoint Lens', serverOptions, clientOptions);
    // Registered before start: vscode-languageclient keeps them across restarts.
    this.client.onNotification(CheckpointsChanged, (list) => events.checkpointsChanged(list));
    this.client.onNotification(BackendInfoNotification, (info) => events.backendInfo(info));
    this.subscriptions.push(this.client.onDidChangeState((e) => events.stateChanged(stateOf(e.newState))));
  }

  private onClosed(): CloseHandlerResult {
    const decision = this.crashes.onCrash(Date.now());
    const buttons = decision.restart ? ['Show Output'] : ['Restart Server', 'Show Output'];
    const show = decision.restart ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    void show(decision.message, ...buttons).then((b) => {
      if (b === 'Show Output') this.output.show(true);
      else if (b === 'Restart Server') void this.restart();
    });
    return { action: decision.restart ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true };
  }

  start(): Promise<void> {
    return this.client.start();
  }

  state(): ServerState {
    return stateOf(this.client.state);
  }

  ready(): Promise<boolean> {
    const now = this.state();
    if (now !== 'starting') return Promise.resolve(now === 'running');
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), READY_TIMEOUT_MS);
      const sub = this.client.onDidChangeState((e) => {
        if (e.newState !== State.Starting) done(e.newState === State.Running);
      });
      function done(ok: boolean) {
        clearTimeout(timer);
        sub.dispose();
        resolve(ok);
      }
    });
  }

  async request<P extends object, R>(type: RequestType<P, R, void>, params: P, opts: RequestOptions = {}): Promise<R> {
    const { token, onProgress } = opts;
    if (!onProgress) return this.client.sendRequest(type, params, token);
    const workDoneToken = randomUUID();
    const progress = this.client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind !== 'end') onProgress({ message: value.message, percentage: value.percentage });
    });
    try {
      return await this.client.sendRequest(type, { ...params, workDoneToken }, token);
    } finally {
      progress.dispose();
    }
  }

  /** Hands the server new settings (after a configuration change). */
  async sendSettings(): Promise<void> {
    if (this.state() === 'running') await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: this.settings() });
  }

  async restart(): Promise<void> {
    this.crashes.reset();
    try {
      if (this.client.state === State.Stopped) await this.client.start();
      else await this.client.restart();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.output.appendLine(`restart failed: ${message}`);
      void vscode.window.showErrorMessage(`Checkpoint Lens: the language server could not be restarted (${message}). Reload the window to try again.`);
    }
  }

  async dispose(): Promise<void> {
    for (const s of this.subscriptions) s.dispose();
    if (this.client.needsStop()) await this.client.stop();
  }
}
