// The webview panels of Checkpoint Lens: what the rest of the client calls. One panel per view is
// reused by later commands (the report: one per checkpoint; the compression report: one per archive);
// panels come back after a window reload through their serializers, on the arguments their webview saved.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { CompressSummary } from '../../../server/src/compress/compress.ts';
import type { PanelArgs, ViewKind } from '../../../webview/src/protocol.ts';
import type { PanelSeeds } from './hostApi.ts';
import { vscodeUi } from './hostUi.ts';
import { lspServer } from './lspServer.ts';
import { restoredArgs } from './messages.ts';
import { ViewPanel, webviewOptions, type PanelDeps } from './panel.ts';
import { ReportEditorProvider } from './reportEditor.ts';
import { isArchive, REPORT_EDITOR_VIEW_TYPE, VIEWS } from './views.ts';

export interface PanelHost {
  client: LanguageClient;
  extensionUri: vscode.Uri;
  context: vscode.ExtensionContext;
}

const open = new Map<string, ViewPanel<ViewKind>>();

function keyOf<V extends ViewKind>(view: V, args: PanelArgs[V]): string {
  if (view === 'report') {
    const a = args as PanelArgs['report'];
    return `report|${a.checkpoint ?? ''}|${a.reference ?? ''}`;
  }
  if (view === 'compression') return `compression|${(args as PanelArgs['compression']).archive ?? ''}`;
  return view;
}

function titleOf<V extends ViewKind>(view: V, args: PanelArgs[V]): string {
  const { tensor, archive } = args as { tensor?: string; archive?: string };
  const what = tensor ?? (archive && basename(archive));
  return what ? `${VIEWS[view].title}: ${what}` : VIEWS[view].title;
}

function deps(host: PanelHost): PanelDeps {
  return {
    extensionUri: host.extensionUri,
    server: lspServer(host.client),
    ui: vscodeUi((view, args) => (view === 'histograms' ? openHistogramPanel(host, args) : view === 'zeroPoint' ? openZeroPointPanel(host, args) : openOutliersPanel(host, args))),
  };
}

/** Binds a panel (new or restored) to its view; the registry forgets it when it closes. */
function adopt<V extends ViewKind>(host: PanelHost, view: V, panel: vscode.WebviewPanel, args: PanelArgs[V], seed?: PanelSeeds[V]): void {
  const key = keyOf(view, args);
  const p = new ViewPanel(
    view,
    panel,
    args,
    deps(host),
    () => {
      if (open.get(key) === (p as ViewPanel<ViewKind>)) open.delete(key);
    },
    seed,
  );
  open.set(key, p as ViewPanel<ViewKind>);
}

function show<V extends ViewKind>(host: PanelHost, view: V, args: PanelArgs[V], column = vscode.ViewColumn.Active, seed?: PanelSeeds[V]): void {
  const existing = open.get(keyOf(view, args)) as ViewPanel<V> | undefined;
  if (existing) {
    existing.panel.title = titleOf(view, args);
    existing.retarget(args, seed);
    existing.panel.reveal(undefined, true);
    return;
  }
  const panel = vscode.window.createWebviewPanel(VIEWS[view].viewType, titleOf(view, args), column, webviewOptions(host.extensionUri));
  adopt(host, view, panel, args, seed);
}

export function openReportPanel(host: PanelHost, args: { checkpoint?: string; tensor?: string; reference?: string }): void {
  show(host, 'report', args);
}

export function openHistogramPanel(host: PanelHost, args: { checkpoint?: string; tensor?: string; compareWith?: string }): void {
  show(host, 'histograms', args, vscode.ViewColumn.Beside);
}

export function openZeroPointPanel(host: PanelHost, args: { checkpoint?: string; tensor?: string }): void {
  show(host, 'zeroPoint', args, vscode.ViewColumn.Beside);
}

export function openPruningExplorer(host: PanelHost, args: { checkpoint?: string }): void {
  show(host, 'pruning', args);
}

/** Row and column max-abs profiles of a tensor with its outlier rows and columns marked. */
export function openOutliersPanel(host: PanelHost, args: { checkpoint?: string; tensor?: string }): void {
  show(host, 'outliers', args, vscode.ViewColumn.Beside);
}

/**
 * The compression report of an archive: from the summary of the compress job that wrote it (shown as
 * is), or from the archive's own records (`{ archive }`: checkpointLens/archiveInfo reads them).
 */
export function openCompressionReport(host: PanelHost, source: CompressSummary | { archive: string }): void {
  const summary = 'entries' in source ? source : undefined;
  show(host, 'compression', { archive: source.archive }, vscode.ViewColumn.Active, summary);
}

/**
 * The read-only custom editor `checkpointLens.report` for .safetensors files (their checkpoint report)
 * and .ckpz archives (their compression report), and the serializers that bring the panels back after
 * a window reload. Call once on activation.
 */
export function registerReportEditor(host: PanelHost): vscode.Disposable {
  const editor = new ReportEditorProvider((panel, path) => {
    // Editors belong to VS Code's editor model, not to the panel registry: each file gets its own.
    if (isArchive(path)) new ViewPanel('compression', panel, { archive: path }, deps(host), () => undefined);
    else new ViewPanel('report', panel, { checkpoint: path }, deps(host), () => undefined);
  });
  const serializers = (Object.keys(VIEWS) as ViewKind[]).map((view) =>
    vscode.window.registerWebviewPanelSerializer(VIEWS[view].viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        adopt(host, view, panel, restoredArgs(view, state));
      },
    }),
  );
  return vscode.Disposable.from(
    vscode.window.registerCustomEditorProvider(REPORT_EDITOR_VIEW_TYPE, editor, { supportsMultipleEditorsPerDocument: true, webviewOptions: { enableFindWidget: true } }),
    ...serializers,
  );
}
