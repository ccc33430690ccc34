// HostUi over VS Code's window: save dialogs, progress notifications, messages.
import * as vscode from 'vscode';
import type { HostUi } from './hostApi.ts';

export function vscodeUi(openView: HostUi['openView']): HostUi {
  return {
    async pickSaveLocation({ title, defaultPath, filters }) {
      const uri = await vscode.window.showSaveDialog({ title, defaultUri: vscode.Uri.file(defaultPath), filters, saveLabel: 'Choose' });
      return uri?.fsPath;
    },
    async writeFile(path, text) {
      await vscode.workspace.fs.writeFile(vscode.Uri.file(path), new TextEncoder().encode(text));
    },
    withProgress(title, task) {
      return Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (report, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let reported = 0;
          return task(abort.signal, (message, percentage) => {
            // VS Code's progress takes increments; the server reports totals.
            const increment = percentage === null ? undefined : Math.max(0, percentage - reported);
            if (percentage !== null) reported = Math.max(reported, percentage);
            report.report({ message: message ?? undefined, increment });
          });
        }),
      );
    },
    info(message) {
      void vscode.window.showInformationMessage(message);
    },
    openView,
  };
}
