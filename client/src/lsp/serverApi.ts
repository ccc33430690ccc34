// What commands need of the language server, as an interface: the VS Code side implements it with
// vscode-languageclient (languageServer.ts), tests with a fake or a real server over stdio.
import type { CancellationToken, RequestType } from 'vscode-languageserver-protocol';
import { ErrorCode } from '../../../server/src/protocol.ts';

export type ServerState = 'starting' | 'running' | 'stopped';

export interface ProgressUpdate {
  message?: string;
  /** 0..100, as LSP work-done progress reports it */
  percentage?: number;
}

export interface RequestOptions {
  /** cancels the request ($/cancelRequest); the server stops the job and cleans up */
  token?: CancellationToken;
  /** the request's work-done progress ($/progress on a workDoneToken the server reports to) */
  onProgress?: (p: ProgressUpdate) => void;
}

export interface ServerApi {
  state(): ServerState;
  /** true once running; waits while starting; false when stopped */
  ready(): Promise<boolean>;
  request<P extends object, R>(type: RequestType<P, R, void>, params: P, opts?: RequestOptions): Promise<R>;
  restart(): Promise<void>;
}

/** JSON-RPC codes of a request that ended because it was cancelled (RequestCancelled) or the server went (PendingResponseRejected, ConnectionInactive). */
const CANCELLED = -32800;
const CONNECTION_GONE = new Set([-32097, -32096]);

export type RequestFailure =
  | { kind: 'cancelled' }
  | { kind: 'server-gone'; message: string }
  | { kind: 'failed'; message: string; badCheckpoint: boolean };

/** Classifies what a failed request threw, for the message the user sees. */
export function requestFailure(e: unknown): RequestFailure {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === CANCELLED || (e as { name?: unknown } | null)?.name === 'Canceled') return { kind: 'cancelled' };
  if (typeof code === 'number' && CONNECTION_GONE.has(code)) return { kind: 'server-gone', message: 'the language server stopped while this ran' };
  return { kind: 'failed', message, badCheckpoint: code === ErrorCode.BadCheckpoint };
}
