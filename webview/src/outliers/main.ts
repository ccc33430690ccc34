// Outliers: the row and column max-abs profiles of a tensor's 2-D view, heat-strips of them in units
// of their median, and the rows and columns above k times the median marked and listed. k starts at
// the outlierK setting (the server applies it) and can be changed here; each change asks again.
import '../shared/base.css';
import '../shared/elements.ts';
import type { OutliersData } from '../protocol.ts';
import { debounce, h } from '../shared/dom.ts';
import { formatCount, formatShape } from '../shared/format.ts';
import { TensorView } from '../shared/tensorView.ts';
import { ProfileCard } from './profileCard.ts';

interface Ui {
  tensor: string | null;
  /** null: the outlierK setting */
  k: number | null;
}

/** Typing in the k field settles for this long before a request goes out. */
const K_DEBOUNCE_MS = 300;

const view = new TensorView<'outliers', Ui>({
  view: 'outliers',
  title: 'Outliers',
  testid: 'outliers-title',
  initialUi: { tensor: null, k: null },
  request: (ui, requestId) => ({ type: 'outliers/request', requestId, tensor: ui.tensor, k: ui.k }),
  draw,
});
const summary = h('p', { class: 'subtitle', testid: 'outliers-summary' });
const kField = h('vscode-textfield', { testid: 'outliers-k', attrs: { type: 'number', min: '0.5', step: 'any', 'aria-label': 'outlier factor k' } });
const rows = new ProfileCard('rows', 'row');
const cols = new ProfileCard('columns', 'column');
document.body.append(
  view.title,
  h('p', { class: 'note' }, 'A row or column is an outlier when its largest magnitude exceeds k times the median over the rows (or columns). Such channels cost per-block quantization dearly and often carry the model.'),
  view.status.element,
  h('div', { class: 'controls' }, view.picker.element, h('label', { title: 'outliers are above k × median; empty: the checkpointLens.outlierK setting' }, 'k', kField)),
  summary,
  h('div', { class: 'chart-grid' }, rows.element, cols.element),
);

const setK = debounce((value: string) => {
  const k = Number(value);
  if (value.trim() === '' || !(k > 0) || !Number.isFinite(k) || k === view.ui.k) return;
  view.update({ k });
}, K_DEBOUNCE_MS);
kField.addEventListener('input', () => setK(kField.value));

function draw(d: OutliersData): void {
  // The k the server applied (the setting, until the user picks one) is what the field shows.
  if (document.activeElement !== kField) kField.value = String(d.k);
  summary.textContent = `${d.tensor} · 2-D view ${formatShape(d.view)} · pattern: ${d.pattern} · ${formatCount(d.rows.indices.length)} outlier rows, ${formatCount(d.cols.indices.length)} outlier columns`;
  rows.show(d.rows, d.k);
  cols.show(d.cols, d.k);
}

view.start();
