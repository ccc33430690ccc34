// The life of a one-tensor view (moment histograms, zero-point effect, outliers): the host's context
// names the checkpoint and perhaps a tensor; the view asks for that tensor's data, draws only the
// answer to its latest request, and asks once per checkpoint for the names that fill its picker
// (which needs the checkpoint analysed, so not before the first answer unless no tensor is known).
import type { CheckpointRef, PanelArgs, TensorViewKind, ToHost, ToWebview } from '../protocol.ts';
import { sameArgs } from './args.ts';
import { h } from './dom.ts';
import { statusArea, type StatusArea } from './status.ts';
import { tensorPicker, type TensorPicker } from './tensorPicker.ts';
import { connect, type ViewChannel } from './vscodeApi.ts';

type Context<V extends TensorViewKind> = Extract<ToWebview<V>, { type: `${V}/context` }>;
type Data<V extends TensorViewKind> = Extract<ToWebview<V>, { type: `${V}/data` }>;

export interface TensorViewSpec<V extends TensorViewKind, Ui extends { tensor: string | null }> {
  view: V;
  /** the page title before the checkpoint's label */
  title: string;
  testid: string;
  /** the UI state of a fresh panel */
  initialUi: Ui;
  /** the UI after a context with new arguments (default: their tensor) */
  fromArgs?(ui: Ui, args: PanelArgs[V]): Ui;
  /** the data request for the current UI (a tensor is chosen) */
  request(ui: Ui & { tensor: string }, requestId: number): ToHost<V>;
  draw(data: Data<V>): void;
  /** view-specific parts of a context (e.g. the checkpoints one may overlay) */
  onContext?(context: Context<V>): void;
}

export class TensorView<V extends TensorViewKind, Ui extends { tensor: string | null }> {
  readonly status: StatusArea = statusArea();
  readonly picker: TensorPicker;
  readonly title: HTMLElement;
  private readonly channel: ViewChannel<V, Ui>;
  private args: PanelArgs[V];
  private current: Ui;
  private checkpointRef: CheckpointRef | undefined;
  private requestId = 0;
  private tensorsAsked = false;

  constructor(private readonly spec: TensorViewSpec<V, Ui>) {
    this.channel = connect<V, Ui>(spec.view);
    const restored = this.channel.restored();
    this.args = restored?.args ?? ({} as PanelArgs[V]);
    this.current = restored?.ui ?? spec.initialUi;
    this.title = h('h1', { testid: spec.testid }, spec.title);
    this.picker = tensorPicker((tensor) => this.update({ tensor } as Partial<Ui>));
  }

  get ui(): Ui {
    return this.current;
  }

  get checkpoint(): CheckpointRef | undefined {
    return this.checkpointRef;
  }

  /** Changes what is shown and asks for it again. */
  update(patch: Partial<Ui>): void {
    this.keep(patch);
    this.request();
  }

  /** Changes display-only state (no new request), kept across reloads. */
  keep(patch: Partial<Ui>): void {
    this.current = { ...this.current, ...patch };
    this.channel.save(this.args, this.current);
  }

  /** Starts listening and tells the host the page is ready. Call once the page is built. */
  start(): void {
    this.channel.onMessage((m) => this.receive(m));
    this.channel.post({ type: 'ready' } as ToHost<V>);
  }

  private request(): void {
    const ui = this.current;
    if (ui.tensor === null) return;
    this.status.clearError();
    this.channel.post(this.spec.request(ui as Ui & { tensor: string }, ++this.requestId));
  }

  private askForTensors(): void {
    if (this.tensorsAsked) return;
    this.tensorsAsked = true;
    this.channel.post({ type: 'requestTensors' } as ToHost<V>);
  }

  private receive(m: ToWebview<V>): void {
    const type: string = m.type;
    if (type === `${this.spec.view}/context`) {
      const c = m as unknown as { args: PanelArgs[V]; checkpoint: CheckpointRef };
      // A reloaded panel keeps what the user chose; new arguments (a fresh panel, or one reused by a command) win.
      const args = c.args;
      if (this.current.tensor === null || !sameArgs(this.args, args)) {
        this.current = this.spec.fromArgs ? this.spec.fromArgs(this.current, args) : { ...this.current, tensor: (args as { tensor?: string }).tensor ?? this.current.tensor };
      }
      this.args = args;
      // Another checkpoint has other tensors.
      if (this.checkpointRef?.path !== c.checkpoint.path) this.tensorsAsked = false;
      this.checkpointRef = c.checkpoint;
      this.title.textContent = `${this.spec.title}: ${c.checkpoint.label}`;
      this.spec.onContext?.(m as Context<V>);
      this.picker.set(this.current.tensor ?? '');
      this.channel.save(this.args, this.current);
      this.request();
      if (this.current.tensor === null) this.askForTensors();
    } else if (type === `${this.spec.view}/data`) {
      const d = m as Data<V>;
      if ((d as { requestId: number }).requestId !== this.requestId) return; // an answer to an older request
      this.spec.draw(d);
      this.askForTensors();
    } else if (m.type === 'tensors') {
      this.picker.setNames(m.names);
      const first = m.names[0];
      if (this.current.tensor === null && first !== undefined) {
        this.picker.set(first);
        this.update({ tensor: first } as Partial<Ui>);
      }
    } else if (m.type === 'busy') {
      this.status.show(m);
    } else if (m.type === 'error') {
      this.status.show(m);
      this.askForTensors();
    }
  }
}
