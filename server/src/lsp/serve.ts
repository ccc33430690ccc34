// `ckpt-lens serve --stdio`: the language server on stdin/stdout, for any LSP editor.
import { format } from 'node:util';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './startServer.ts';

/** stdout carries JSON-RPC only: anything printed with console.* goes to stderr instead. */
function consoleToStderr(): void {
  const toStderr = (...args: unknown[]) => void process.stderr.write(`${format(...args)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;
}

/** Runs until the client sends `exit` or closes stdin (the library then ends the process). */
export function serveStdio(): Promise<never> {
  // The streams are passed explicitly (argv is the CLI's to parse), so the library does not patch console.*.
  consoleToStderr();
  startServer(createConnection(ProposedFeatures.all, process.stdin, process.stdout));
  return new Promise<never>(() => {});
}
