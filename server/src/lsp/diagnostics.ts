// Publishing checkpoint findings as LSP diagnostics. A finding about a tensor of a sharded checkpoint
// lands on that tensor's key in model.safetensors.index.json (the file that describes it); otherwise on
// the file it names, at its start (binary files have no lines to point at). Open tensor listings of the
// client (TENSOR_LISTING_SCHEME documents) get the findings of the names they show, at those names.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Connection, type Diagnostic, type Range, type TextDocuments } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { TENSOR_LISTING_SCHEME } from '../protocol.ts';
import type { ServerSettings } from '../settings.ts';
import type { AnalysisStore } from './analysisStore.ts';
import { checkpointFindings, type Finding } from './checkpointDiagnostics.ts';
import type { IndexedCheckpoint, WorkspaceIndex } from './workspaceIndex.ts';


const SOURCE = 'checkpoint-lens';
const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
const INDEX_SUFFIX = '.safetensors.index.json';

/** Where a JSON key (a tensor name) sits in an index's text. */
export function keyRange(doc: TextDocument, text: string, name: string): Range | null {
  const needle = JSON.stringify(name);
  let at = text.indexOf(needle);
  while (at >= 0) {
    if (/^\s*:/.test(text.slice(at + needle.length, at + needle.length + 16))) {
      return { start: doc.positionAt(at), end: doc.positionAt(at + needle.length) };
    }
    at = text.indexOf(needle, at + 1);
  }
  return null;
}

async function indexFileOf(ck: IndexedCheckpoint): Promise<string | null> {
  if (ck.entry.path.endsWith(INDEX_SUFFIX)) return ck.entry.path;
  const c = ck.checkpoint;
  if (!c || c.weightsFormat !== 'safetensors-sharded' || !c.files[0]) return null;
  const dir = dirname(c.files[0]);
  const names = await readdir(dir).catch(() => [] as string[]);
  const index = names.includes(`model${INDEX_SUFFIX}`) ? `model${INDEX_SUFFIX}` : names.find((n) => n.endsWith(INDEX_SUFFIX));
  return index ? join(dir, index) : null;
}

function toDiagnostic(f: Finding, range: Range): Diagnostic {
  return { range, severity: f.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, source: SOURCE, message: f.message };
}

function listingPositions(doc: TextDocument, findings: Finding[]): Diagnostic[] {
  const text = doc.getText();
  const out: Diagnostic[] = [];
  for (const f of findings) {
    if (!f.tensor) continue;
    const at = text.indexOf(f.tensor);
    if (at >= 0) out.push(toDiagnostic(f, { start: doc.positionAt(at), end: doc.positionAt(at + f.tensor.length) }));
  }
  return out;
}

export class DiagnosticsPublisher {
  /** what each URI was last sent, so unchanged diagnostics are not sent again */
  private published = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    private readonly index: WorkspaceIndex,
    private readonly store: AnalysisStore,
    private readonly settings: () => ServerSettings,
  ) {}

  /** Recomputes and publishes everything (serialised: calls queue behind the running one). */
  update(): Promise<void> {
    this.chain = this.chain.then(() => this.publishAll()).catch((e: unknown) => this.connection.console.error(`diagnostics: ${(e as Error).message}`));
    return this.chain;
  }

  private async textOf(file: string): Promise<{ doc: TextDocument; text: string } | null> {
    const uri = pathToFileURL(file).toString();
    const open = this.documents.get(uri);
    if (open) return { doc: open, text: open.getText() };
    const text = await readFile(file, 'utf8').catch(() => null);
    return text === null ? null : { doc: TextDocument.create(uri, 'json', 0, text), text };
  }

  private async publishAll(): Promise<void> {
    const byUri = new Map<string, Diagnostic[]>();
    const add = (uri: string, d: Diagnostic) => {
      const list = byUri.get(uri);
      if (list) list.push(d);
      else byUri.set(uri, [d]);
    };
    const settings = this.settings();
    const byCheckpoint = new Map<string, Finding[]>();
    const texts = new Map<string, Promise<{ doc: TextDocument; text: string } | null>>();
    const textOf = (file: string) => {
      let t = texts.get(file);
      if (!t) texts.set(file, (t = this.textOf(file)));
      return t;
    };
    for (const ck of this.index.list()) {
      const findings = checkpointFindings(ck, this.store.latestFull(ck), settings);
      byCheckpoint.set(ck.entry.path, findings);
      const index = findings.some((f) => f.tensor && !f.aboutMoments && f.severity === 'warning') ? await indexFileOf(ck) : null;
      for (const f of findings) {
        // A tensor's finding goes to its key in the index that describes the checkpoint, when there is one.
        const file = index && f.tensor && !f.aboutMoments && f.severity === 'warning' ? index : f.file;
        const text = f.tensor && file.endsWith(INDEX_SUFFIX) ? await textOf(file) : null;
        const range = text && f.tensor ? keyRange(text.doc, text.text, f.tensor) : null;
        add(pathToFileURL(file).toString(), toDiagnostic(f, range ?? START));
      }
    }
    for (const doc of this.documents.all()) {
      if (!doc.uri.startsWith(`${TENSOR_LISTING_SCHEME}:`)) continue;
      const path = decodeURIComponent(doc.uri.slice(TENSOR_LISTING_SCHEME.length + 1).replace(/^\/\/[^/]*/, '').split(/[?#]/)[0]!);
      const findings = byCheckpoint.get(path) ?? byCheckpoint.get(this.index.active()?.entry.path ?? '') ?? [];
      const diagnostics = listingPositions(doc, findings);
      if (diagnostics.length > 0) byUri.set(doc.uri, diagnostics);
    }
    for (const uri of this.published.keys()) if (!byUri.has(uri)) await this.connection.sendDiagnostics({ uri, diagnostics: [] });
    const sent = new Map<string, string>();
    for (const [uri, diagnostics] of byUri) {
      const json = JSON.stringify(diagnostics);
      sent.set(uri, json);
      if (this.published.get(uri) !== json) await this.connection.sendDiagnostics({ uri, diagnostics });
    }
    this.published = sent;
  }
}
