// A JSON-RPC client that drives the real language server over stdio, as an editor would: it starts
// `node dist/cli.js serve --stdio` (the bundle the test runner builds), initializes it with a workspace
// folder and settings, answers the server's own requests (configuration, capability registration,
// progress creation), and records diagnostics, notifications and $/progress so tests can wait on them.
// CKPT_LENS_SERVER=source runs the server from the TypeScript sources instead (no build needed).
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, Hover } from 'vscode-languageserver-protocol';

export interface ServerOptions {
  /** workspace folder */
  root: string;
  /** initializationOptions (the checkpointLens settings) */
  settings?: Record<string, unknown>;
  /** the client watches files for the server (dynamic registration of didChangeWatchedFiles); default true */
  clientWatchesFiles?: boolean;
  /** the client supports server-initiated work-done progress; default false */
  serverProgress?: boolean;
}

export interface ProgressEvent {
  token: string | number;
  value: { kind: 'begin' | 'report' | 'end'; title?: string; percentage?: number; message?: string };
}

export interface LspClient {
  rpc: MessageConnection;
  process: ChildProcess;
  /** latest diagnostics per URI */
  diagnostics: Map<string, Diagnostic[]>;
  /** server → client notifications by method, in order */
  notifications: Array<{ method: string; params: unknown }>;
  progress: ProgressEvent[];
  registrations: unknown[];
  stderr(): string;
  /** resolves with the diagnostics of `uri` once `ok` accepts them (waits for publishDiagnostics events) */
  waitForDiagnostics(uri: string, ok: (d: Diagnostic[]) => boolean, what: string): Promise<Diagnostic[]>;
  waitForNotification(method: string, ok?: (params: unknown) => boolean): Promise<unknown>;
  waitForProgress(ok: (e: ProgressEvent) => boolean): Promise<ProgressEvent>;
  open(path: string, text: string, languageId?: string): string;
  hover(uri: string, line: number, character: number): Promise<Hover | null>;
  request<R>(method: string, params: unknown, token?: CancellationTokenSource): Promise<R>;
  stop(): Promise<number | null>;
}

function serverCommand(): string[] {
  switch (process.env.CKPT_LENS_SERVER) {
    case 'source':
      return ['--import', 'tsx', 'server/src/cli.ts', 'serve', '--stdio'];
    case 'server-bundle':
      return ['dist/server.js', '--stdio'];
    default:
      return ['dist/cli.js', 'serve', '--stdio'];
  }
}

/** Every wait fails after this long instead of hanging the test run. */
const WAIT_MS = 60_000;

function waitFor<T>(events: EventEmitter, name: string, check: () => T | undefined, what: string): Promise<T> {
  const now = check();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off(name, listener);
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_MS);
    const listener = () => {
      const v = check();
      if (v === undefined) return;
      clearTimeout(timer);
      events.off(name, listener);
      resolve(v);
    };
    events.on(name, listener);
  });
}

export async function startLanguageServer(opts: ServerOptions): Promise<LspClient> {
  const child = spawn(process.execPath, serverCommand(), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const diagnostics = new Map<string, Diagnostic[]>();
  const notifications: Array<{ method: string; params: unknown }> = [];
  const progress: ProgressEvent[] = [];
  const registrations: unknown[] = [];

  rpc.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
    diagnostics.set(p.uri, p.diagnostics);
    events.emit('diagnostics');
  });
  rpc.onNotification('$/progress', (p: ProgressEvent) => {
    progress.push(p);
    events.emit('progress');
  });
  rpc.onNotification((method: string, params: unknown) => {
    notifications.push({ method, params });
    events.emit('notification');
  });
  rpc.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => opts.settings ?? {}));
  rpc.onRequest('client/registerCapability', (p: { registrations: unknown[] }) => {
    registrations.push(...p.registrations);
    return null;
  });
  rpc.onRequest('window/workDoneProgress/create', () => null);
  rpc.listen();
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve(code);
      if (stopping) return;
      // A server that dies mid-test fails the requests it owed instead of leaving them pending forever.
      console.error(`the language server exited unexpectedly (code ${code}, signal ${signal}); its stderr:\n${stderr}`);
      rpc.dispose();
    }),
  );

  const rootUri = pathToFileURL(opts.root).toString();
  await rpc.sendRequest('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'ws' }],
    initializationOptions: opts.settings ?? {},
    capabilities: {
      workspace: { configuration: true, workspaceFolders: true, didChangeWatchedFiles: { dynamicRegistration: opts.clientWatchesFiles ?? true } },
      window: { workDoneProgress: opts.serverProgress ?? false },
      textDocument: { hover: { contentFormat: ['markdown', 'plaintext'] } },
    },
  });
  await rpc.sendNotification('initialized', {});

  let version = 0;
  return {
    rpc,
    process: child,
    diagnostics,
    notifications,
    progress,
    registrations,
    stderr: () => stderr,
    waitForDiagnostics: (uri, ok, what) => waitFor(events, 'diagnostics', () => {
      const d = diagnostics.get(uri);
      return d && ok(d) ? d : undefined;
    }, what),
    waitForNotification: (method, ok = () => true) =>
      waitFor(events, 'notification', () => notifications.find((n) => n.method === method && ok(n.params))?.params, `notification ${method}`),
    waitForProgress: (ok) => waitFor(events, 'progress', () => progress.find(ok), 'a $/progress event'),
    open(path, text, languageId = 'python') {
      const uri = path.includes(':') && !path.startsWith('/') ? path : pathToFileURL(path).toString();
      void rpc.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: ++version, text } });
      return uri;
    },
    hover: (uri, line, character) => rpc.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } }),
    request: (method, params, token) => (token ? rpc.sendRequest(method, params, token.token) : rpc.sendRequest(method, params)),
    async stop() {
      // A server that does not shut down and exit is a failure the test reports, never a hang.
      stopping = true;
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        await Promise.race([rpc.sendRequest('shutdown'), exited]);
        await rpc.sendNotification('exit');
      } catch {
        child.kill();
      }
      const code = await exited;
      clearTimeout(timer);
      rpc.dispose();
      return code;
    },
  };
}

/** Where `needle` starts in line `line` of `text` (plus `offset` characters), for hover positions. */
export function positionOf(text: string, needle: string, offset = 0): { line: number; character: number } {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i]!.indexOf(needle);
    if (at >= 0) return { line: i, character: at + offset };
  }
  throw new Error(`'${needle}' is not in the text`);
}

export function hoverText(h: Hover | null): string {
  if (!h) return '';
  const c = h.contents;
  return typeof c === 'string' ? c : 'value' in c ? c.value : c.map((x) => (typeof x === 'string' ? x : x.value)).join('\n');
}

export { CancellationTokenSource };
