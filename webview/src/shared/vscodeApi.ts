// The webview's end of the message channel: typed post/receive for one view, and the state VS Code
// keeps for the panel (getState/setState survive a hidden panel's reload and a window reload).
import type { PanelArgs, PersistedState, ToHost, ToWebview, ViewKind } from '../protocol.ts';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface ViewChannel<V extends ViewKind, Ui> {
  post(message: ToHost<V>): void;
  /** Host messages of this view; anything else arriving on the window is ignored. */
  onMessage(handler: (message: ToWebview<V>) => void): void;
  /** The state saved before a reload, when it belongs to this view. */
  restored(): PersistedState<V, Ui> | undefined;
  save(args: PanelArgs[V], ui: Ui): void;
}

/** acquireVsCodeApi may be called once per page: every view calls this once, in its main. */
export function connect<V extends ViewKind, Ui>(view: V): ViewChannel<V, Ui> {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    onMessage(handler) {
      window.addEventListener('message', (event: MessageEvent<unknown>) => {
        const data = event.data;
        if (typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string') handler(data as ToWebview<V>);
      });
    },
    restored() {
      const s = api.getState() as PersistedState<V, Ui> | undefined | null;
      return s && s.view === view ? s : undefined;
    },
    save(args, ui) {
      api.setState<PersistedState<V, Ui>>({ view, args, ui });
    },
  };
}
