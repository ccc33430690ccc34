// Stand-ins for what the command flows get from VS Code: a Ui that answers from a script (and fails
// the test on a prompt the script did not expect), a server answering from handlers, and panels and
// memory that record what they were given.
import assert from 'node:assert/strict';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { RequestType } from 'vscode-languageserver-protocol';
import { DEFAULT_SETTINGS, type ServerSettings } from '../../server/src/settings.ts';
import type { CommandContext, Memory, Panels } from '../../client/src/commands/context.ts';
import type { ProgressUpdate, RequestOptions, ServerApi, ServerState } from '../../client/src/lsp/serverApi.ts';
import { isSeparator, type FileDialogOptions, type InputOptions, type MessageLevel, type PickEntry, type PickItem, type PickOptions, type Ui } from '../../client/src/ui/ui.ts';

export type Step =
  | { kind: 'pick'; answer: (items: PickItem<unknown>[], opts: PickOptions) => PickItem<unknown> | undefined }
  | { kind: 'input'; answer: (opts: InputOptions) => string | undefined }
  | { kind: 'save'; answer: (opts: FileDialogOptions) => string | undefined }
  | { kind: 'open'; answer: (opts: FileDialogOptions) => string | undefined }
  | { kind: 'message'; answer: (level: MessageLevel, text: string, buttons: string[]) => string | undefined };

/** The item the list opens on (picked), else the first. */
export const pickDefault = (): Step => ({ kind: 'pick', answer: (items) => items.find((i) => i.picked) ?? items[0] });
export const pickLabel = (label: string, index = 0): Step => ({
  kind: 'pick',
  answer: (items) => {
    const hits = items.filter((i) => i.label === label);
    assert.ok(hits[index], `no item "${label}" among ${items.map((i) => i.label).join(', ')}`);
    return hits[index];
  },
});
export const pickWhere = (ok: (i: PickItem<unknown>) => boolean): Step => ({ kind: 'pick', answer: (items) => items.find(ok) });
export const dismissPick = (): Step => ({ kind: 'pick', answer: () => undefined });
export const acceptInput = (text?: string): Step => ({ kind: 'input', answer: (o) => text ?? o.value ?? '' });
export const saveDefault = (): Step => ({ kind: 'save', answer: (o) => o.defaultPath });
export const openPath = (path: string): Step => ({ kind: 'open', answer: () => path });
export const clickButton = (button?: string): Step => ({ kind: 'message', answer: () => button });

export interface Recorded {
  kind: Step['kind'];
  title: string;
  items?: PickItem<unknown>[];
  opts?: PickOptions | InputOptions | FileDialogOptions;
  level?: MessageLevel;
  text?: string;
  buttons?: string[];
}

export class ScriptedUi implements Ui {
  readonly calls: Recorded[] = [];
  readonly progress: ProgressUpdate[] = [];
  readonly logs: string[] = [];
  readonly revealed: string[] = [];
  readonly progressTitles: string[] = [];
  logShown = 0;
  /** cancels the job's token at its first progress report */
  cancelOnProgress = false;

  constructor(private readonly script: Step[]) {}

  private next<K extends Step['kind']>(kind: K, what: string): Extract<Step, { kind: K }> {
    const step = this.script.shift();
    assert.ok(step, `the script ended, but the flow asked: ${kind} "${what}"`);
    assert.equal(step.kind, kind, `the script expected a ${step.kind}, but the flow asked: ${kind} "${what}"`);
    return step as Extract<Step, { kind: K }>;
  }

  /** Fails when the flow stopped before the script's end. */
  assertDone(): void {
    assert.deepEqual(this.script.map((s) => s.kind), [], 'the flow did not ask everything the script answers');
  }

  async pick<T>(entries: readonly PickEntry<T>[], opts: PickOptions): Promise<T | undefined> {
    const items = entries.filter((e): e is PickItem<T> => !isSeparator(e));
    this.calls.push({ kind: 'pick', title: opts.title, items: items as PickItem<unknown>[], opts });
    const chosen = this.next('pick', opts.title).answer(items as PickItem<unknown>[], opts);
    return chosen?.value as T | undefined;
  }

  async input(opts: InputOptions): Promise<string | undefined> {
    this.calls.push({ kind: 'input', title: opts.title, opts });
    const text = this.next('input', opts.title).answer(opts);
    if (text !== undefined) assert.equal(opts.validate?.(text), undefined, `the input box refuses "${text}"`);
    return text;
  }

  async saveDialog(opts: FileDialogOptions): Promise<string | undefined> {
    this.calls.push({ kind: 'save', title: opts.title, opts });
    return this.next('save', opts.title).answer(opts);
  }

  async openDialog(opts: FileDialogOptions): Promise<string | undefined> {
    this.calls.push({ kind: 'open', title: opts.title, opts });
    return this.next('open', opts.title).answer(opts);
  }

  async withProgress<R>(title: string, task: (report: (p: ProgressUpdate) => void, token: CancellationTokenSource['token']) => Promise<R>): Promise<R> {
    this.progressTitles.push(title);
    const source = new CancellationTokenSource();
    return task((p) => {
      this.progress.push(p);
      if (this.cancelOnProgress) source.cancel();
    }, source.token);
  }

  async message(level: MessageLevel, text: string, ...buttons: string[]): Promise<string | undefined> {
    this.calls.push({ kind: 'message', title: text, level, text, buttons });
    const button = this.next('message', text).answer(level, text, buttons);
    if (button !== undefined) assert.ok(buttons.includes(button), `"${button}" is not a button of: ${text}`);
    return button;
  }

  async reveal(path: string): Promise<void> {
    this.revealed.push(path);
  }

  log(text: string): void {
    this.logs.push(text);
  }

  showLog(): void {
    this.logShown++;
  }

  messages(level?: MessageLevel): Recorded[] {
    return this.calls.filter((c) => c.kind === 'message' && (level === undefined || c.level === level));
  }
}

type Handler = (params: any, opts: RequestOptions) => unknown;

export class FakeServer implements ServerApi {
  readonly requests: Array<{ method: string; params: unknown }> = [];
  restarts = 0;

  constructor(
    private readonly handlers: Record<string, Handler>,
    public current: ServerState = 'running',
  ) {}

  state(): ServerState {
    return this.current;
  }

  async ready(): Promise<boolean> {
    return this.current === 'running';
  }

  async request<P extends object, R>(type: RequestType<P, R, void>, params: P, opts: RequestOptions = {}): Promise<R> {
    this.requests.push({ method: type.method, params });
    const h = this.handlers[type.method];
    assert.ok(h, `unexpected request ${type.method}`);
    return (await h(params, opts)) as R;
  }

  async restart(): Promise<void> {
    this.restarts++;
  }

  sent(method: string): unknown[] {
    return this.requests.filter((r) => r.method === method).map((r) => r.params);
  }
}

export class RecordingPanels implements Panels {
  readonly opened: Array<{ view: string; args: unknown }> = [];
  openReport(args: unknown) {
    this.opened.push({ view: 'report', args });
  }
  openHistogram(args: unknown) {
    this.opened.push({ view: 'histograms', args });
  }
  openZeroPoint(args: unknown) {
    this.opened.push({ view: 'zeroPoint', args });
  }
  openPruningExplorer(args: unknown) {
    this.opened.push({ view: 'pruning', args });
  }
  openOutliers(args: unknown) {
    this.opened.push({ view: 'outliers', args });
  }
  /** recorded by archive: a job's whole summary would make the tests' expectations unreadable */
  openCompressionReport(source: { archive: string; entries?: unknown }) {
    this.opened.push({ view: 'compression', args: { archive: source.archive, fromJob: source.entries !== undefined } });
  }
}

export class MapMemory implements Memory {
  readonly values = new Map<string, unknown>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, structuredClone(value));
  }
}

export interface FakeContext extends CommandContext {
  ui: ScriptedUi;
  panels: RecordingPanels;
  memory: MapMemory;
}

export function fakeContext(ui: ScriptedUi, server: ServerApi, opts: { settings?: ServerSettings; existing?: string[]; memory?: MapMemory } = {}): FakeContext {
  const existing = new Set(opts.existing ?? []);
  return {
    ui,
    server,
    panels: new RecordingPanels(),
    memory: opts.memory ?? new MapMemory(),
    settings: () => opts.settings ?? DEFAULT_SETTINGS,
    exists: async (p) => existing.has(p),
  };
}
