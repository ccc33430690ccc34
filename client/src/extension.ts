// The VS Code extension client (bundled to dist/client.js): starts the language server, keeps it fed
// with the resolved settings, registers the commands of commands/table.ts, the status bar item, the
// explorer's context keys, and the webview panels and custom editor of ./webviews.
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { ListCheckpoints, type CheckpointList } from '../../server/src/protocol.ts';
import { SETTINGS_SECTION, type ServerSettings } from '../../server/src/settings.ts';
import type { CommandContext, Panels } from './commands/context.ts';
import { registerCommands } from './commands/register.ts';
import { LanguageServer } from './lsp/languageServer.ts';
import { resolveSettings, type SettingKey } from './settings.ts';
import { explorerContext } from './status/explorerContext.ts';
import { CheckpointStatusBar } from './status/statusBar.ts';
import { vscodeUi } from './ui/vscodeUi.ts';
import { openCompressionReport, openHistogramPanel, openOutliersPanel, openPruningExplorer, openReportPanel, openZeroPointPanel, registerReportEditor, type PanelHost } from './webviews/index.ts';

let server: LanguageServer | undefined;

function readSettings(output: vscode.OutputChannel): ServerSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const { settings, warnings } = resolveSettings((key: SettingKey) => config.get(key), {
    home: homedir(),
    workspaceFolder: vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath ?? null,
  });
  for (const w of warnings) output.appendLine(`settings: ${w}`);
  if (warnings.length > 0) void vscode.window.showWarningMessage(`Checkpoint Lens settings: ${warnings[0]}${warnings.length > 1 ? ` (and ${warnings.length - 1} more in the output)` : ''}`);
  return settings;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Checkpoint Lens');
  const statusBar = new CheckpointStatusBar();
  context.subscriptions.push(output, statusBar);

  let settings = readSettings(output);
  let lists = 0;
  const showList = (list: CheckpointList) => {
    lists++;
    statusBar.setList(list);
    for (const [key, paths] of Object.entries(explorerContext(list))) void vscode.commands.executeCommand('setContext', key, paths);
  };
  // The server notifies changes only; a (re)started server is asked once, unless a notification wins the race.
  const seedList = () => {
    const before = lists;
    lsp.request(ListCheckpoints, {}).then(
      (list) => before === lists && showList(list),
      (e: unknown) => output.appendLine(`listCheckpoints: ${(e as Error).message}`),
    );
  };
  const lsp: LanguageServer = new LanguageServer(context.extensionPath, output, () => settings, {
    checkpointsChanged: showList,
    backendInfo: (info) => statusBar.setBackend(info),
    stateChanged: (state) => {
      statusBar.setServer(state);
      if (state === 'running') seedList();
    },
  });
  server = lsp;

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SETTINGS_SECTION)) return;
      settings = readSettings(output);
      void lsp.sendSettings().catch((err: unknown) => output.appendLine(`settings: could not send them to the server: ${(err as Error).message}`));
    }),
  );

  const host: PanelHost = { client: lsp.client, extensionUri: context.extensionUri, context };
  const panels: Panels = {
    openReport: (args) => openReportPanel(host, args),
    openHistogram: (args) => openHistogramPanel(host, args),
    openZeroPoint: (args) => openZeroPointPanel(host, args),
    openPruningExplorer: (args) => openPruningExplorer(host, args),
    openOutliers: (args) => openOutliersPanel(host, args),
    openCompressionReport: (source) => openCompressionReport(host, source),
  };
  const ctx: CommandContext = {
    ui: vscodeUi(output),
    server: lsp,
    panels,
    memory: context.globalState,
    settings: () => settings,
    exists: (p) => stat(p).then(() => true, () => false),
  };
  context.subscriptions.push(...registerCommands(ctx), registerReportEditor(host));

  try {
    await lsp.start();
  } catch (e) {
    // The client has logged why; commands that need the server say it is not running.
    output.appendLine(`the language server did not start: ${(e as Error).message}`);
    statusBar.setServer('stopped');
  }
}

export async function deactivate(): Promise<void> {
  await server?.dispose();
  server = undefined;
}
