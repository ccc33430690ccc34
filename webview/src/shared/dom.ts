// Building DOM without HTML strings: text goes in as text nodes, attributes through setAttribute.
// Tensor names and metadata come from checkpoint files, so nothing here ever parses markup.

export interface Props {
  class?: string;
  /** the data-testid hook end-to-end tests select by */
  testid?: string;
  title?: string;
  attrs?: Record<string, string>;
}

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Fills a vscode-single-select with options (values and labels as text) and selects `value`. */
export function setOptions(select: HTMLElement & { value: string }, options: ReadonlyArray<{ value: string; label: string }>, value: string): void {
  select.replaceChildren(
    ...options.map((o) => {
      const opt = h('vscode-option', { attrs: { value: o.value } }, o.label);
      if (o.value === value) opt.setAttribute('selected', '');
      return opt;
    }),
  );
  select.value = value;
}

/** Calls `fn` once calls stop for `ms` milliseconds (the last arguments win). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, ms);
  };
}
