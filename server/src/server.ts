// The Checkpoint Lens language server (bundled to dist/server.js). Started by the VS Code client over
// Node IPC, or standalone over stdio. Later issues add the workspace index, hovers, diagnostics and
// the custom protocol of protocol.ts; this entry only wires the connection.
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: 'checkpoint-lens', version: typeof __VERSION__ === 'string' ? __VERSION__ : 'dev' },
}));

declare const __VERSION__: string | undefined;

documents.listen(connection);
connection.listen();
