// The status bar item: active checkpoint and compute backend; a click selects the active checkpoint.
import * as vscode from 'vscode';
import type { BackendInfo, CheckpointList } from '../../../server/src/protocol.ts';
import { STATUS_BAR_COMMAND } from '../commands/table.ts';
import type { ServerState } from '../lsp/serverApi.ts';
import { statusView, type StatusState } from './statusView.ts';

export class CheckpointStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('checkpointLens.status', vscode.StatusBarAlignment.Right, 100);
  private state: StatusState = { server: 'starting', list: null, backend: null };

  constructor() {
    this.item.name = 'Checkpoint Lens';
    this.item.command = STATUS_BAR_COMMAND;
    this.render();
    this.item.show();
  }

  setServer(server: ServerState): void {
    this.update({ server });
  }

  setList(list: CheckpointList): void {
    this.update({ list });
  }

  setBackend(backend: BackendInfo): void {
    this.update({ backend });
  }

  private update(change: Partial<StatusState>): void {
    this.state = { ...this.state, ...change };
    this.render();
  }

  private render(): void {
    const view = statusView(this.state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
