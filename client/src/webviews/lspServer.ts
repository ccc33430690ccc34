// ServerApi over the LanguageClient: each request gets its own workDoneToken when progress is
// wanted, and an AbortSignal becomes $/cancelRequest.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import type { RequestType } from 'vscode-languageserver-protocol';
import type { RequestOptions, ServerApi } from './hostApi.ts';

export function lspServer(client: LanguageClient): ServerApi {
  return {
    async request<P extends object, R>(type: RequestType<P, R, void>, params: P, options: RequestOptions = {}): Promise<R> {
      const { signal, progress } = options;
      signal?.throwIfAborted();
      const cancel = new vscode.CancellationTokenSource();
      const onAbort = () => cancel.cancel();
      signal?.addEventListener('abort', onAbort);
      const token = randomUUID();
      const listening =
        progress &&
        client.onProgress(WorkDoneProgress.type, token, (v) => {
          if (v.kind === 'end') progress(null, null);
          else progress(v.message ?? (v.kind === 'begin' ? v.title : null) ?? null, v.percentage ?? null);
        });
      try {
        return await client.sendRequest(type, progress ? { ...params, workDoneToken: token } : params, cancel.token);
      } finally {
        listening?.dispose();
        signal?.removeEventListener('abort', onAbort);
        cancel.dispose();
      }
    },
  };
}
