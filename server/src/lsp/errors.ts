// Every failure of a request becomes a clean JSON-RPC error response; nothing reaches the process.
import { ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver';
import { ErrorCode } from '../protocol.ts';

/** Bad request parameters (InvalidParams). */
export class ParamError extends Error {
  override name = 'ParamError';
}

/** No checkpoint named and none active. */
export class NoCheckpointError extends Error {
  override name = 'NoCheckpointError';
}

const FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM', 'EEXIST']);

export function toResponseError(e: unknown): ResponseError<void> {
  if (e instanceof ResponseError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const message = err.message.split('\n')[0] ?? '';
  switch (err.name) {
    case 'AbortError':
      return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    case 'ParamError':
    case 'RangeError':
      return new ResponseError(ErrorCodes.InvalidParams, message);
    case 'NoCheckpointError':
      return new ResponseError(ErrorCode.NoCheckpoint, message);
    case 'FormatError':
      return new ResponseError(ErrorCode.BadCheckpoint, message);
    case 'WorkerError':
    case 'NoGpuError':
      return new ResponseError(ErrorCode.JobFailed, message);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && FILE_ERRORS.has(code)) return new ResponseError(ErrorCode.BadCheckpoint, message);
  return new ResponseError(ErrorCodes.InternalError, `internal error: ${message}`);
}

/** Wraps a request handler so that any throw or rejection is answered as an error response. */
export function safely<P, R>(handler: (params: P, token: CancellationToken) => Promise<R> | R) {
  return async (params: P, token: CancellationToken): Promise<R | ResponseError<void>> => {
    try {
      return await handler(params, token);
    } catch (e) {
      return toResponseError(e);
    }
  };
}
