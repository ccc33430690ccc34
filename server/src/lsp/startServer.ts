// Wires one connection: capabilities, settings, the workspace index and its watching, hovers,
// diagnostics and the custom requests of protocol.ts. Used by dist/server.js (VS Code, Node IPC) and by
// `ckpt-lens serve --stdio`. Nothing a client sends can take the process down: every handler answers
// errors as responses, and stray exceptions are logged, not fatal.
import { TextDocuments, TextDocumentSyncKind, type Connection, type InitializeResult } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { FileWatch } from './fileWatch.ts';
import { hover } from './hover.ts';
import { registerAnalysisRequests } from './requests/analysis.ts';
import { registerCheckpointRequests } from './requests/checkpoints.ts';
import { registerCompressionRequests } from './requests/compression.ts';
import { registerPruningRequests } from './requests/pruning.ts';
import { TENSOR_LISTING_SCHEME } from '../protocol.ts';
import { Session, workspaceRoots } from './session.ts';

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

function describesCheckpoints(uri: string): boolean {
  return uri.startsWith(`${TENSOR_LISTING_SCHEME}:`) || uri.endsWith('.safetensors.index.json');
}

export function startServer(connection: Connection): Session {
  const documents = new TextDocuments(TextDocument);
  const session = new Session(connection, documents);
  const watch = new FileWatch(
    () => void session.refreshIndex().catch((e: unknown) => session.log('error', `indexing: ${(e as Error).message}`)),
    (m) => session.log('warn', m),
  );

  process.on('uncaughtException', (e) => session.log('error', `unexpected error (the server goes on): ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => session.log('error', `unexpected rejection (the server goes on): ${(e as Error)?.stack ?? String(e)}`));

  connection.onInitialize((params): InitializeResult => {
    session.initialize(params);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'checkpoint-lens', version: VERSION },
    };
  });

  connection.onInitialized(async () => {
    const caps = session.clientCapabilities;
    if (caps.workspace?.workspaceFolders) {
      connection.workspace.onDidChangeWorkspaceFolders(async () => {
        const folders = (await connection.workspace.getWorkspaceFolders()) ?? [];
        session.index.setRoots(workspaceRoots({ workspaceFolders: folders }));
        watch.poke();
      });
    }
    session.warmUp();
    // Watching starts before the first walk, so a file written meanwhile is not missed.
    await watch.start(connection, caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true, session.index.getRoots());
    await session.refreshIndex().catch((e: unknown) => session.log('error', `indexing: ${(e as Error).message}`));
  });

  connection.onDidChangeConfiguration((change) => {
    const settings: unknown = change.settings;
    const empty = settings === null || settings === undefined || (typeof settings === 'object' && Object.keys(settings).length === 0);
    if (empty) void session.pullSettings().catch((e: unknown) => session.log('warn', `settings: ${(e as Error).message}`));
    else session.applySettings(settings);
  });

  connection.onDidChangeWatchedFiles(() => watch.poke());

  connection.onHover(async (params) => {
    try {
      return await hover(session, params);
    } catch (e) {
      session.log('error', `hover: ${(e as Error).message}`);
      return null;
    }
  });

  registerCheckpointRequests(session);
  registerAnalysisRequests(session);
  registerPruningRequests(session);
  registerCompressionRequests(session);

  documents.onDidOpen((e) => describesCheckpoints(e.document.uri) && void session.diagnostics.update());
  documents.onDidClose((e) => describesCheckpoints(e.document.uri) && void session.diagnostics.update());

  connection.onShutdown(async () => {
    watch.dispose();
    // A worker stuck in a long native call must not keep the editor waiting: give it 5 s.
    await Promise.race([session.dispose(), new Promise<void>((r) => setTimeout(r, 5000).unref())]);
  });

  documents.listen(connection);
  connection.listen();
  return session;
}
