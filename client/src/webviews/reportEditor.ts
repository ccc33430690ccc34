// The read-only custom editor for .safetensors and .ckpz files: the checkpoint report of a checkpoint,
// the compression report of an archive (index.ts decides which).
import type * as vscode from 'vscode';

export class ReportEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly attach: (panel: vscode.WebviewPanel, checkpoint: string) => void) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    // Nothing to load here: the language server reads the file when the report asks.
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    this.attach(panel, document.uri.fsPath);
  }
}
