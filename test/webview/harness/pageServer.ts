// Serves the webview pages to Chromium as VS Code would show them: the HTML from the host's own
// webviewHtml (with its CSP and nonces) and the bundles from dist/webview/, all from one origin
// that plays the role of webview.cspSource.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { makeNonce, webviewHtml } from '../../../client/src/webviews/html.ts';
import { PLOTLY_BUNDLE, VIEWS } from '../../../client/src/webviews/views.ts';
import type { ViewKind } from '../../../webview/src/protocol.ts';

const DIST = resolve('dist/webview');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export interface PageServer {
  origin: string;
  url(view: ViewKind): string;
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  let origin = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const view = /^\/view\/(\w+)\.html$/.exec(path)?.[1] as ViewKind | undefined;
      if (view && view in VIEWS) {
        const asset = (f: string) => `${origin}/dist/webview/${f}`;
        const bundle = VIEWS[view].bundle;
        const html = webviewHtml({ view, title: VIEWS[view].title, cspSource: origin, nonce: makeNonce(), scriptUri: asset(`${bundle}.js`), styleUri: asset(`${bundle}.css`), plotlyUri: asset(PLOTLY_BUNDLE) });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      const file = /^\/dist\/webview\/([\w.-]+)$/.exec(path)?.[1];
      if (file) {
        const body = await readFile(join(DIST, file)).catch(() => null);
        if (body) {
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
          return;
        }
      }
      // Chromium asks for a favicon; VS Code's webviews do not, so its 404 is not a page problem.
      res.writeHead(path === '/favicon.ico' ? 204 : 404).end();
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no port');
  origin = `http://127.0.0.1:${address.port}`;
  return {
    origin,
    url: (view) => `${origin}/view/${view}.html`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
