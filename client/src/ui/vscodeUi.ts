// The Ui of the command flows, on VS Code's window API.
import * as vscode from 'vscode';
import { percentageTracker } from './progress.ts';
import { isSeparator, type FileDialogOptions, type InputOptions, type MessageLevel, type PickEntry, type PickOptions, type Ui } from './ui.ts';

type Item<T> = vscode.QuickPickItem & { value?: T };

function toItems<T>(entries: readonly PickEntry<T>[]): Item<T>[] {
  return entries.map((e) =>
    isSeparator(e) ? { label: e.separator, kind: vscode.QuickPickItemKind.Separator } : { label: e.label, description: e.description, detail: e.detail, value: e.value },
  );
}

function pick<T>(entries: readonly PickEntry<T>[], opts: PickOptions): Promise<T | undefined> {
  const qp = vscode.window.createQuickPick<Item<T>>();
  qp.title = opts.title;
  qp.placeholder = opts.placeholder;
  qp.matchOnDescription = true;
  qp.matchOnDetail = false;
  qp.ignoreFocusOut = true;
  const items = toItems(entries);
  qp.items = items;
  // createQuickPick (not showQuickPick) so the default can be any item, not only the first.
  const preferred = entries.findIndex((e) => !isSeparator(e) && e.picked === true);
  if (preferred >= 0) qp.activeItems = [items[preferred]!];
  return new Promise<T | undefined>((resolve) => {
    let chosen: T | undefined;
    qp.onDidAccept(() => {
      chosen = qp.selectedItems[0]?.value ?? qp.activeItems[0]?.value;
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(chosen);
    });
    qp.show();
  });
}

function filters(f: Record<string, string[]> | undefined): Record<string, string[]> | undefined {
  return f && Object.keys(f).length > 0 ? f : undefined;
}

export function vscodeUi(output: vscode.OutputChannel): Ui {
  return {
    pick,
    input: (opts: InputOptions) =>
      Promise.resolve(
        vscode.window.showInputBox({ title: opts.title, prompt: opts.prompt, value: opts.value, placeHolder: opts.placeholder, ignoreFocusOut: true, validateInput: opts.validate && ((v) => opts.validate!(v) ?? null) }),
      ),
    saveDialog: async (opts: FileDialogOptions) => {
      const uri = await vscode.window.showSaveDialog({ title: opts.title, defaultUri: opts.defaultPath ? vscode.Uri.file(opts.defaultPath) : undefined, filters: filters(opts.filters) });
      return uri?.fsPath;
    },
    openDialog: async (opts: FileDialogOptions) => {
      const uris = await vscode.window.showOpenDialog({
        title: opts.title,
        defaultUri: opts.defaultPath ? vscode.Uri.file(opts.defaultPath) : undefined,
        canSelectFiles: opts.folders !== true,
        canSelectFolders: opts.folders === true,
        canSelectMany: false,
        filters: opts.folders ? undefined : filters(opts.filters),
      });
      return uris?.[0]?.fsPath;
    },
    withProgress: (title, task) =>
      Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
          const step = percentageTracker();
          return task((p) => progress.report(step(p)), token);
        }),
      ),
    message: (level: MessageLevel, text: string, ...buttons: string[]) => {
      const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      return Promise.resolve(show(text, ...buttons));
    },
    reveal: async (path: string) => {
      const uri = vscode.Uri.file(path);
      // The explorer shows only workspace files; anything else opens in the OS file manager.
      await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(uri) ? 'revealInExplorer' : 'revealFileInOS', uri);
    },
    log: (text: string) => output.appendLine(text),
    showLog: () => output.show(true),
  };
}
