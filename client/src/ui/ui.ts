// The part of VS Code's window API the command flows use, in plain types: vscodeUi.ts implements it
// for the editor, tests with a scripted fake. Paths are file-system paths, never URIs.
import type { CancellationToken } from 'vscode-languageserver-protocol';
import type { ProgressUpdate } from '../lsp/serverApi.ts';

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
  /** the item that is active when the list opens (the default Enter takes) */
  picked?: boolean;
}

/** A titled separator between groups of items. */
export interface PickSeparator {
  separator: string;
}

export type PickEntry<T> = PickItem<T> | PickSeparator;

export function isSeparator<T>(e: PickEntry<T>): e is PickSeparator {
  return 'separator' in e;
}

export interface PickOptions {
  title: string;
  placeholder?: string;
}

export interface InputOptions {
  title: string;
  prompt: string;
  value?: string;
  placeholder?: string;
  /** an error message for a bad value, undefined when it is fine */
  validate?: (value: string) => string | undefined;
}

export interface FileDialogOptions {
  title: string;
  /** where the dialog starts (a file path for save dialogs) */
  defaultPath?: string;
  /** label → extensions without the dot */
  filters?: Record<string, string[]>;
  /** open dialogs: folders instead of files */
  folders?: boolean;
}

export type MessageLevel = 'info' | 'warning' | 'error';

export interface Ui {
  /** undefined when dismissed */
  pick<T>(items: readonly PickEntry<T>[], opts: PickOptions): Promise<T | undefined>;
  input(opts: InputOptions): Promise<string | undefined>;
  saveDialog(opts: FileDialogOptions): Promise<string | undefined>;
  openDialog(opts: FileDialogOptions): Promise<string | undefined>;
  /** a cancellable progress notification while `task` runs; `report` takes absolute percentages */
  withProgress<R>(title: string, task: (report: (p: ProgressUpdate) => void, token: CancellationToken) => Promise<R>): Promise<R>;
  /** resolves with the button clicked, undefined when dismissed */
  message(level: MessageLevel, text: string, ...buttons: string[]): Promise<string | undefined>;
  /** shows a file or folder in the explorer */
  reveal(path: string): Promise<void>;
  /** appends lines to the extension's output channel */
  log(text: string): void;
  showLog(): void;
}
