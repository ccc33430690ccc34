// Moment histograms: weights, residual, exp_avg, exp_avg_sq and h(v) of one tensor, with a second
// checkpoint overlaid; x as values or log10 |x|, counts linear or log.
import '../shared/base.css';
import '../shared/elements.ts';
import { HISTOGRAM_KINDS, type CheckpointRef, type HistogramKind, type HistogramsData, type PanelArgs, type XScale } from '../protocol.ts';
import { drawChart } from '../shared/charts.ts';
import { h, replace, setOptions } from '../shared/dom.ts';
import { histogramNote, histogramTrace, histogramXAxis } from '../shared/histogramTrace.ts';
import { sameArgs } from '../shared/args.ts';
import { statusArea } from '../shared/status.ts';
import { tensorPicker } from '../shared/tensorPicker.ts';
import { connect } from '../shared/vscodeApi.ts';

interface Ui {
  tensor: string | null;
  compareWith: string | null;
  xScale: XScale;
  logCounts: boolean;
}

const TITLES: Record<HistogramKind, string> = {
  weight: 'Weights',
  residual: 'Residual against the reference',
  exp_avg: 'exp_avg (first moment)',
  exp_avg_sq: 'exp_avg_sq (second moment)',
  update: 'h(v) = 1/(√v + ε), the Adam update size',
};
const AXIS: Record<HistogramKind, string> = { weight: 'w', residual: 'w − w_ref', exp_avg: 'm', exp_avg_sq: 'v', update: 'h(v)' };
const NO_COMPARE = '';

const channel = connect<'histograms', Ui>('histograms');
const restored = channel.restored();
let args: PanelArgs['histograms'] = restored?.args ?? {};
let ui: Ui = restored?.ui ?? { tensor: null, compareWith: null, xScale: 'auto', logCounts: false };
let checkpoint: CheckpointRef | undefined;
let requestId = 0;
let last: HistogramsData | undefined;

const status = statusArea();
const title = h('h1', { testid: 'histograms-title' }, 'Moment histograms');
const picker = tensorPicker((tensor) => update({ tensor }));
const compare = h('vscode-single-select', { testid: 'histograms-compare', attrs: { 'aria-label': 'checkpoint to overlay' } });
compare.addEventListener('change', () => update({ compareWith: compare.value || null }));
const xScale = h('vscode-single-select', { testid: 'histograms-x-scale', attrs: { 'aria-label': 'x axis' } });
setOptions(xScale, [{ value: 'auto', label: 'automatic' }, { value: 'linear', label: 'values' }, { value: 'log', label: 'log10 |x|' }], ui.xScale);
xScale.addEventListener('change', () => update({ xScale: xScale.value as XScale }));
const logCounts = h('vscode-checkbox', { testid: 'histograms-log-counts', attrs: { label: 'log counts' } });
logCounts.checked = ui.logCounts;
logCounts.addEventListener('change', () => {
  ui = { ...ui, logCounts: logCounts.checked };
  channel.save(args, ui);
  if (last) draw(last);
});

const charts = new Map(HISTOGRAM_KINDS.map((k) => [k, { chart: h('div', { class: 'chart', testid: `histogram-chart-${k}` }), note: h('p', { class: 'note lines', testid: `histogram-note-${k}` }) }]));
document.body.append(
  title,
  status.element,
  h('div', { class: 'controls' }, picker.element, h('label', {}, 'Overlay', compare), h('label', {}, 'x axis', xScale), logCounts),
  h('div', { class: 'chart-grid' }, ...HISTOGRAM_KINDS.map((k) => h('section', { class: 'card' }, h('h2', {}, TITLES[k]), charts.get(k)!.chart, charts.get(k)!.note))),
);

function update(patch: Partial<Ui>): void {
  ui = { ...ui, ...patch };
  channel.save(args, ui);
  request();
}

function request(): void {
  if (ui.tensor === null) return;
  status.clearError();
  channel.post({ type: 'histograms/request', requestId: ++requestId, tensor: ui.tensor, compareWith: ui.compareWith, xScale: ui.xScale });
}

function draw(d: HistogramsData): void {
  for (const kind of HISTOGRAM_KINDS) {
    const { chart, note } = charts.get(kind)!;
    const series = d.series.filter((s) => s.kind === kind);
    const shown = series.filter((s) => s.histogram !== null);
    replace(note, ...series.map((s) => `${s.checkpoint}: ${s.histogram ? histogramNote(s.histogram) : s.note ?? 'not available'}`).join('\n'));
    chart.hidden = shown.length === 0;
    if (shown.length === 0) continue;
    drawChart(chart, shown.map((s) => histogramTrace(s.histogram!, s.checkpoint)), {
      showlegend: shown.length > 1,
      xaxis: histogramXAxis(shown[0]!.histogram!, AXIS[kind]),
      yaxis: { title: { text: 'count' }, type: ui.logCounts ? 'log' : 'linear' },
    });
  }
}

/** The picker's list needs the whole checkpoint analysed: asked for once, after the first answer. */
let tensorsAsked = false;
function askForTensors(): void {
  if (tensorsAsked) return;
  tensorsAsked = true;
  channel.post({ type: 'requestTensors' });
}

channel.onMessage((m) => {
  switch (m.type) {
    case 'histograms/context': {
      // A reloaded panel keeps what the user chose; new arguments (a fresh panel, or one reused by a command) win.
      if (ui.tensor === null || !sameArgs(args, m.args)) ui = { ...ui, tensor: m.args.tensor ?? ui.tensor, compareWith: m.args.compareWith ?? null };
      args = m.args;
      // Another checkpoint has other tensors.
      if (checkpoint?.path !== m.checkpoint.path) tensorsAsked = false;
      checkpoint = m.checkpoint;
      title.textContent = `Moment histograms: ${checkpoint.label}`;
      setOptions(compare, [{ value: NO_COMPARE, label: 'none' }, ...m.checkpoints.filter((c) => c.path !== checkpoint!.path).map((c) => ({ value: c.path, label: c.label }))], ui.compareWith ?? NO_COMPARE);
      picker.set(ui.tensor ?? '');
      channel.save(args, ui);
      request();
      if (ui.tensor === null) askForTensors();
      break;
    }
    case 'histograms/data':
      if (m.requestId !== requestId) break; // an answer to an older request
      last = m;
      draw(m);
      askForTensors();
      break;
    case 'tensors':
      picker.setNames(m.names);
      if (ui.tensor === null && m.names[0] !== undefined) {
        picker.set(m.names[0]);
        update({ tensor: m.names[0] });
      }
      break;
    case 'busy':
      status.show(m);
      break;
    case 'error':
      status.show(m);
      askForTensors();
      break;
  }
});
channel.post({ type: 'ready' });
