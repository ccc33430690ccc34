// The Checkpoint Lens language server (bundled to dist/server.js), started by the VS Code client over
// Node IPC (`--node-ipc`), or with `--stdio` / `--socket=N` (the library reads the transport from argv).
// `ckpt-lens serve --stdio` starts the same server from the CLI.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './lsp/startServer.ts';

startServer(createConnection(ProposedFeatures.all));
