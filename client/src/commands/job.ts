// A long request (compress, restore, verify) under a cancellable progress notification: the
// notification's cancel button cancels the request, the server's $/progress moves the bar. A cancelled
// job answers undefined (the server has cleaned up after itself); other failures propagate to the
// command runner, which shows them.
import type { CancellationToken } from 'vscode-languageserver-protocol';
import { requestFailure, type ProgressUpdate } from '../lsp/serverApi.ts';
import type { CommandContext } from './context.ts';

export async function runJob<R>(ctx: CommandContext, title: string, work: (token: CancellationToken, onProgress: (p: ProgressUpdate) => void) => Promise<R>): Promise<R | undefined> {
  try {
    return await ctx.ui.withProgress(title, (report, token) => work(token, report));
  } catch (e) {
    if (requestFailure(e).kind !== 'cancelled') throw e;
    ctx.ui.log(`${title}: cancelled`);
    return undefined;
  }
}
