// The HTML of every panel: an empty page with the view's stylesheet and two nonce'd scripts
// (plotly's strict bundle, then the view's), under a CSP that allows nothing else. No data is ever
// written into the HTML: it arrives by message after the ready handshake.
import { randomBytes } from 'node:crypto';
import type { ViewKind } from '../../../webview/src/protocol.ts';

export interface HtmlInput {
  view: ViewKind;
  title: string;
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  /** webview URIs (webview.asWebviewUri) of the view's script and stylesheet and of plotly */
  scriptUri: string;
  styleUri: string;
  plotlyUri: string;
}

/** 128 random bits, base64 (a valid CSP nonce). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Plotly injects <style> elements at run time, so styles need 'unsafe-inline' (not scripts: they need the nonce). */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function webviewHtml(i: HtmlInput): string {
  const nonce = escapeHtml(i.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(i.cspSource, i.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(i.title)}</title>
<link rel="stylesheet" href="${escapeHtml(i.styleUri)}">
</head>
<body data-view="${escapeHtml(i.view)}">
<script nonce="${nonce}" src="${escapeHtml(i.plotlyUri)}"></script>
<script nonce="${nonce}" src="${escapeHtml(i.scriptUri)}"></script>
</body>
</html>
`;
}
