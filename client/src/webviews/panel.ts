// One webview panel (or custom editor) bound to its controller: options limited to the bundles'
// folder, the CSP'd HTML, validated messages in, posts out while the panel lives.
import * as vscode from 'vscode';
import type { PanelArgs, ViewKind } from '../../../webview/src/protocol.ts';
import { createController } from './controllers/create.ts';
import type { Controller, ControllerContext, HostUi, PanelSeeds, ServerApi } from './hostApi.ts';
import { makeNonce, webviewHtml } from './html.ts';
import { parseWebviewMessage } from './messages.ts';
import { PLOTLY_BUNDLE, VIEWS, WEBVIEW_DIST } from './views.ts';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, ...WEBVIEW_DIST)],
    enableFindWidget: true,
  };
}

function html(view: ViewKind, webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...WEBVIEW_DIST, file)).toString();
  const bundle = VIEWS[view].bundle;
  return webviewHtml({
    view,
    title: VIEWS[view].title,
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: asset(`${bundle}.js`),
    styleUri: asset(`${bundle}.css`),
    plotlyUri: asset(PLOTLY_BUNDLE),
  });
}

export interface PanelDeps {
  extensionUri: vscode.Uri;
  server: ServerApi;
  ui: HostUi;
}

export class ViewPanel<V extends ViewKind> {
  private readonly controller: Controller<V>;
  private readonly abort = new AbortController();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    readonly view: V,
    readonly panel: vscode.WebviewPanel,
    args: PanelArgs[V],
    deps: PanelDeps,
    onDispose: () => void,
    seed?: PanelSeeds[V],
  ) {
    const webview = panel.webview;
    webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewOptions(deps.extensionUri).localResourceRoots };
    const ctx: ControllerContext<V> = {
      server: deps.server,
      ui: deps.ui,
      signal: this.abort.signal,
      post: (message) => {
        if (!this.abort.signal.aborted) void webview.postMessage(message);
      },
    };
    this.controller = createController(view, ctx, args, seed);
    this.subscriptions.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWebviewMessage(view, raw);
        if (message) void this.controller.handle(message);
        else console.warn(`Checkpoint Lens: ignored an unknown message from the ${view} webview`);
      }),
      panel.onDidDispose(() => {
        this.abort.abort();
        for (const s of this.subscriptions) s.dispose();
        onDispose();
      }),
    );
    webview.html = html(view, webview, deps.extensionUri);
  }

  get args(): PanelArgs[V] {
    return this.controller.args;
  }

  /** A command reuses the panel: the webview gets the new context as after a reload. */
  retarget(args: PanelArgs[V], seed?: PanelSeeds[V]): void {
    this.controller.retarget(args, seed);
    void this.controller.handle({ type: 'ready' });
  }
}
