// Work-done progress for a request: the client's own token when it sent one (`workDoneToken`), else a
// server-initiated progress (window/workDoneProgress/create) when the client supports it, created only
// once a job really starts (a warm answer costs no round trip). Cancelling either the request or the
// progress (its Cancel button) cancels the request.
import { CancellationTokenSource, type CancellationToken, type Connection, type WorkDoneProgressReporter, type WorkDoneProgressServerReporter } from 'vscode-languageserver';
import type { Subscriber } from './jobRunner.ts';

class LazyServerProgress implements WorkDoneProgressReporter {
  private reporter: Promise<WorkDoneProgressServerReporter | null> | null = null;

  constructor(
    private readonly connection: Connection,
    private readonly cancel: CancellationTokenSource,
  ) {}

  begin(title: string, percentage?: number, message?: string, cancellable?: boolean): void {
    this.reporter = this.connection.window.createWorkDoneProgress().then(
      (r) => {
        r.token.onCancellationRequested(() => this.cancel.cancel());
        r.begin(title, percentage, message, cancellable);
        return r;
      },
      () => null,
    );
  }

  report(arg0: number | string, arg1?: string): void {
    void this.reporter?.then((r) => {
      if (typeof arg0 === 'number' && arg1 !== undefined) r?.report(arg0, arg1);
      else if (typeof arg0 === 'number') r?.report(arg0);
      else r?.report(arg0);
    });
  }

  done(): void {
    void this.reporter?.then((r) => r?.done());
  }
}

export function subscriberFor(connection: Connection, params: unknown, token: CancellationToken, serverProgress: boolean): Subscriber {
  const workDoneToken = (params as { workDoneToken?: unknown } | null)?.workDoneToken;
  if (typeof workDoneToken === 'string' || typeof workDoneToken === 'number') {
    return { token, progress: connection.window.attachWorkDoneProgress(workDoneToken) };
  }
  if (!serverProgress) return { token };
  const source = new CancellationTokenSource();
  token.onCancellationRequested(() => source.cancel());
  return { token: source.token, progress: new LazyServerProgress(connection, source) };
}
