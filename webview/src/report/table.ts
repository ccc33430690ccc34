// The report's tensor table: sortable by any column, filtered by words, one quantization scheme
// shown at a time. Rows are built with text nodes only (tensor names are untrusted).
import type { SchemeInfo, TensorRow } from '../protocol.ts';
import { h, replace } from '../shared/dom.ts';
import { formatCount, formatNumber, formatPercent, formatShape } from '../shared/format.ts';

export type SortKey = 'name' | 'layer' | 'shape' | 'dtype' | 'numel' | 'mean' | 'std' | 'absmax' | 'sparsity' | 'quant' | 'outlier' | 'suggested';
export type SortDir = 'asc' | 'desc';

interface Column {
  key: SortKey;
  label: string;
  title: string;
  /** the sort value; null sorts last in either direction */
  value(r: TensorRow, quant: number): number | string | null;
  text(r: TensorRow, quant: number): string;
}

const num = (x: number | null) => (x === null || Number.isNaN(x) ? null : x);

const COLUMNS: Column[] = [
  { key: 'name', label: 'Tensor', title: 'tensor name', value: (r) => r.name, text: (r) => r.name },
  { key: 'layer', label: 'Layer', title: 'layer id', value: (r) => r.layer, text: (r) => r.layer },
  { key: 'shape', label: 'Shape', title: 'shape (sorts by element count)', value: (r) => r.numel, text: (r) => formatShape(r.shape) },
  { key: 'dtype', label: 'Dtype', title: 'stored dtype', value: (r) => r.dtype, text: (r) => r.dtype },
  { key: 'numel', label: 'Params', title: 'elements', value: (r) => r.numel, text: (r) => formatCount(r.numel) },
  { key: 'mean', label: 'Mean', title: 'mean of the weights', value: (r) => num(r.mean), text: (r) => formatNumber(r.mean) },
  { key: 'std', label: 'Std', title: 'population standard deviation', value: (r) => num(r.std), text: (r) => formatNumber(r.std) },
  { key: 'absmax', label: 'Max |w|', title: 'largest magnitude', value: (r) => num(r.absmax), text: (r) => formatNumber(r.absmax) },
  { key: 'sparsity', label: 'Sparsity', title: 'share of exact zeros', value: (r) => r.sparsity, text: (r) => formatPercent(r.sparsity, 2) },
  { key: 'quant', label: 'Quant error', title: 'relative error of the scheme chosen above', value: (r, q) => num(r.quantErr[q] ?? NaN), text: (r, q) => formatNumber(num(r.quantErr[q] ?? NaN)) },
  {
    key: 'outlier',
    label: 'Outliers',
    title: 'outlier rows / columns (max |w| above k times the median)',
    value: (r) => r.outlier,
    text: (r) => (r.outlier === null ? '–' : r.outlier === 'none' ? 'none' : `${r.outlier} (${r.outlierRows} r, ${r.outlierCols} c)`),
  },
  { key: 'suggested', label: 'Suggested ratio', title: "the layer's ratio in the default plan (error-optimal, magnitude, 50 %)", value: (r) => r.suggestedRatio, text: (r) => formatPercent(r.suggestedRatio) },
];

/** Left-aligned columns (the others hold numbers). */
const TEXT_COLUMNS = new Set<SortKey>(['name', 'layer', 'dtype', 'outlier']);

export interface TableState {
  sortKey: SortKey;
  sortDir: SortDir;
  filter: string;
  /** index into the schemes for the quant column */
  quantKey: string | null;
  selected: string | null;
}

function compare(a: number | string | null, b: number | string | null): number {
  if (typeof a === 'string' && typeof b === 'string') return a.localeCompare(b, 'en', { numeric: true });
  return (a as number) - (b as number);
}

/** Rows whose name, layer, dtype or outlier class contain every word of the filter (case-insensitive). */
export function filterRows(rows: readonly TensorRow[], filter: string): TensorRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...rows];
  return rows.filter((r) => {
    const hay = `${r.name} ${r.layer} ${r.dtype} ${r.outlier ?? ''}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export function sortRows(rows: TensorRow[], key: SortKey, dir: SortDir, quant: number): TensorRow[] {
  const col = COLUMNS.find((c) => c.key === key)!;
  const sign = dir === 'asc' ? 1 : -1;
  return rows.sort((ra, rb) => {
    const a = col.value(ra, quant);
    const b = col.value(rb, quant);
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    return sign * compare(a, b) || ra.name.localeCompare(rb.name);
  });
}

export class TensorTable {
  readonly element: HTMLElement;
  private readonly head = h('thead');
  private readonly body = h('tbody');
  private readonly count = h('div', { class: 'note', testid: 'report-row-count' });
  private rows: TensorRow[] = [];
  private schemes: SchemeInfo[] = [];

  constructor(
    private state: TableState,
    private readonly onChange: (state: TableState) => void,
    private readonly onSelect: (tensor: string) => void,
  ) {
    const table = h('table', { class: 'data', testid: 'report-table', attrs: { 'aria-label': 'tensors' } }, this.head, this.body);
    this.element = h('div', {}, this.count, h('div', { class: 'table-scroll' }, table));
  }

  setData(rows: TensorRow[], schemes: SchemeInfo[]): void {
    this.rows = rows;
    this.schemes = schemes;
    if (this.state.quantKey === null || !schemes.some((s) => s.key === this.state.quantKey)) this.state.quantKey = schemes[0]?.key ?? null;
    this.render();
  }

  update(patch: Partial<TableState>): void {
    this.state = { ...this.state, ...patch };
    this.render();
    this.onChange(this.state);
  }

  get current(): TableState {
    return this.state;
  }

  private quantIndex(): number {
    return this.schemes.findIndex((s) => s.key === this.state.quantKey);
  }

  private sortBy(key: SortKey): void {
    const sortDir: SortDir = this.state.sortKey === key ? (this.state.sortDir === 'asc' ? 'desc' : 'asc') : key === 'name' || key === 'layer' || key === 'dtype' ? 'asc' : 'desc';
    this.update({ sortKey: key, sortDir });
  }

  private render(): void {
    const q = this.quantIndex();
    const quantLabel = q >= 0 ? `${this.schemes[q]!.group} ${this.schemes[q]!.label}` : '';
    replace(
      this.head,
      h(
        'tr',
        {},
        ...COLUMNS.map((c) => {
          const button = h('button', { attrs: { type: 'button', 'data-sort': c.key } }, c.key === 'quant' && quantLabel ? `${c.label} (${quantLabel})` : c.label);
          button.addEventListener('click', () => this.sortBy(c.key));
          const th = h('th', { title: c.title, class: TEXT_COLUMNS.has(c.key) ? 'text' : '', attrs: { scope: 'col' } }, button);
          if (c.key === this.state.sortKey) th.setAttribute('aria-sort', this.state.sortDir === 'asc' ? 'ascending' : 'descending');
          return th;
        }),
      ),
    );
    const shown = sortRows(filterRows(this.rows, this.state.filter), this.state.sortKey, this.state.sortDir, q);
    this.count.textContent = shown.length === this.rows.length ? `${this.rows.length} tensors` : `${shown.length} of ${this.rows.length} tensors`;
    replace(this.body, ...shown.map((r) => this.row(r, q)));
  }

  private row(r: TensorRow, q: number): HTMLTableRowElement {
    const tr = h('tr', { testid: 'report-row', attrs: { tabindex: '0', 'aria-selected': String(r.name === this.state.selected) } }, ...COLUMNS.map((c) => h('td', { class: TEXT_COLUMNS.has(c.key) ? 'text' : '' }, c.text(r, q))));
    tr.dataset.tensor = r.name;
    const select = () => {
      for (const other of this.body.querySelectorAll('tr[aria-selected="true"]')) other.setAttribute('aria-selected', 'false');
      tr.setAttribute('aria-selected', 'true');
      this.state = { ...this.state, selected: r.name };
      this.onChange(this.state);
      this.onSelect(r.name);
    };
    tr.addEventListener('click', select);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        select();
      }
    });
    return tr;
  }
}
