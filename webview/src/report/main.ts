// Checkpoint report: model summary, per-layer charts, the tensor table and the selected tensor's details.
import '../shared/base.css';
import '../shared/elements.ts';
import type { PanelArgs, ReportData, TensorRow } from '../protocol.ts';
import { sameArgs } from '../shared/args.ts';
import { h, replace } from '../shared/dom.ts';
import { formatBytes, formatCount } from '../shared/format.ts';
import { statusArea } from '../shared/status.ts';
import { connect } from '../shared/vscodeApi.ts';
import { DetailsPane } from './details.ts';
import { LayerCharts, type LayerChartState } from './layerCharts.ts';
import { TensorTable, type TableState } from './table.ts';

type Ui = TableState & LayerChartState;

const channel = connect<'report', Ui>('report');
const restored = channel.restored();
let args: PanelArgs['report'] = restored?.args ?? {};
let ui: Ui = restored?.ui ?? { sortKey: 'name', sortDir: 'asc', filter: '', quantKey: null, selected: null, quantGroup: null, logQuant: true };
let rows: TensorRow[] = [];

const save = (patch: Partial<Ui>) => {
  ui = { ...ui, ...patch };
  channel.save(args, ui);
};

const status = statusArea();
const title = h('h1', { testid: 'report-title' }, 'Checkpoint report');
const summary = h('p', { class: 'subtitle', testid: 'report-summary' });
const charts = new LayerCharts(ui, save);
const select = (tensor: string) => channel.post({ type: 'report/select', tensor });
const table = new TensorTable(ui, save, select);
const details = new DetailsPane((view, tensor) => channel.post({ type: 'report/open', view, tensor }));

const filter = h('vscode-textfield', { testid: 'report-filter', class: 'wide', attrs: { placeholder: 'Filter tensors (words in name, layer, dtype, outlier class)', 'aria-label': 'filter tensors' } });
filter.value = ui.filter;
filter.addEventListener('input', () => table.update({ filter: filter.value }));
const quantColumn = h('vscode-single-select', { testid: 'report-quant-column', attrs: { 'aria-label': 'scheme of the quant error column' } });
quantColumn.addEventListener('change', () => table.update({ quantKey: quantColumn.value }));

document.body.append(
  title,
  summary,
  status.element,
  charts.element,
  h('h2', {}, 'Tensors'),
  h('div', { class: 'controls' }, filter, h('label', {}, 'Quant error column', quantColumn)),
  table.element,
  details.element,
);

function showData(d: ReportData): void {
  // New arguments (not a reload): the tensor they name is the one to show.
  const retargeted = !sameArgs(args, d.args);
  args = d.args;
  rows = d.rows;
  status.clearError();
  title.textContent = `Checkpoint report: ${d.checkpoint.label}`;
  replace(summary, `${d.architecture} · ${formatCount(d.model.tensors)} tensors · ${formatCount(d.model.params)} parameters · ${formatBytes(d.model.bytes)}${d.reference ? ` · residuals against ${d.reference}` : ''}`);
  replace(quantColumn, ...d.schemes.map((s) => h('vscode-option', { attrs: { value: s.key } }, `${s.group} ${s.label}`)));
  if (ui.quantKey === null) table.update({ quantKey: d.defaults.scheme });
  if (ui.quantGroup === null) charts.update({ quantGroup: d.defaults.group });
  table.setData(d.rows, d.schemes);
  quantColumn.value = table.current.quantKey ?? '';
  charts.setData(d.layers, d.schemes);
  save({});
  // Reopened on a tensor (or restored with one selected): show its details again.
  const wanted = (retargeted ? args.tensor : undefined) ?? ui.selected ?? args.tensor ?? null;
  if (wanted !== null && rows.some((r) => r.name === wanted)) {
    table.update({ selected: wanted });
    select(wanted);
  }
}

channel.onMessage((m) => {
  switch (m.type) {
    case 'report/data':
      showData(m);
      break;
    case 'report/details':
      details.show(m, rows.find((r) => r.name === m.tensor)?.hasMoments ?? false);
      break;
    case 'busy':
    case 'error':
      status.show(m);
      break;
  }
});
channel.post({ type: 'ready' });
