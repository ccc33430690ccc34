// Hovers on tensor names in any document. Which names: nameMatch.ts. Which checkpoints: the one a shard
// index describes (in that index), else the active one, else every checkpoint that has the name.
// Header facts are always there at once; statistics come from memory, or are computed in the background
// on first hover (the hover waits a moment for small tensors, then says "computing…").
import { fileURLToPath } from 'node:url';
import { MarkupKind, type Hover, type HoverParams } from 'vscode-languageserver';
import { matchTensorNames } from './nameMatch.ts';
import { renderMatchList, renderTensorHover, type StatsState } from './hoverRender.ts';
import type { Session } from './session.ts';
import type { IndexedCheckpoint } from './workspaceIndex.ts';

/** How long a first hover waits for a tensor's statistics before answering "computing…". */
const FIRST_HOVER_WAIT_MS = 150;
/** Checkpoints shown for one name when none is active. */
const MAX_SECTIONS = 4;

function scopeFor(session: Session, uri: string): IndexedCheckpoint[] {
  if (uri.startsWith('file:') && uri.endsWith('.safetensors.index.json')) {
    const described = session.index.describedBy(fileURLToPath(uri));
    if (described?.checkpoint) return [described];
  }
  const active = session.index.active();
  if (active) return [active];
  return session.index.list().filter((c) => c.checkpoint !== null);
}

async function statsFor(session: Session, ck: IndexedCheckpoint, name: string): Promise<StatsState> {
  const have = session.store.peekTensor(ck, name);
  if (have) return { kind: 'ready', report: have };
  // A background request: never cancelled, so the statistics are there for the next hover.
  const job = session.store.tensorReport(ck, name, {}).then(
    (report): StatsState => ({ kind: 'ready', report }),
    (e: unknown): StatsState => ({ kind: 'failed', message: e instanceof Error ? e.message : String(e) }),
  );
  let timer: NodeJS.Timeout | undefined;
  const wait = new Promise<StatsState>((resolve) => (timer = setTimeout(() => resolve({ kind: 'computing' }), FIRST_HOVER_WAIT_MS)));
  const state = await Promise.race([job, wait]);
  clearTimeout(timer);
  return state;
}

export async function hover(session: Session, params: HoverParams): Promise<Hover | null> {
  const doc = session.documents.get(params.textDocument.uri);
  if (!doc) return null;
  const { line, character } = params.position;
  const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
  const scope = scopeFor(session, doc.uri);
  if (scope.length === 0) return null;
  const names = scope.length === 1 ? scope[0]!.names : session.index.namesOfAll();
  const match = matchTensorNames(names, text, character);
  if (!match) return null;
  const range = { start: { line, character: match.span.start }, end: { line, character: match.span.end } };
  const hits = match.names.flatMap((n) => scope.filter((ck) => ck.byName.has(n)).map((ck) => ({ checkpoint: ck, tensor: ck.byName.get(n)! })));
  if (hits.length === 0) return null;
  let value: string;
  if (match.names.length > 1) {
    value = renderMatchList(
      hits.map((h) => ({ ...h, report: session.store.peekTensor(h.checkpoint, h.tensor.name) })),
      text.slice(match.span.start, match.span.end),
    );
  } else {
    const sections = await Promise.all(
      hits.slice(0, MAX_SECTIONS).map(async (h) =>
        renderTensorHover({
          checkpoint: h.checkpoint,
          tensor: h.tensor,
          stats: await statsFor(session, h.checkpoint, h.tensor.name),
          plan: session.store.plan(h.checkpoint),
          detail: session.settings().hoverDetail,
        }),
      ),
    );
    if (hits.length > MAX_SECTIONS) sections.push(`_… and ${hits.length - MAX_SECTIONS} more checkpoints have this tensor_`);
    value = sections.join('\n\n---\n\n');
  }
  return { contents: { kind: MarkupKind.Markdown, value }, range };
}
