// Moment histograms: weights, residual, exp_avg, exp_avg_sq and h(v) of one tensor, with a second
// checkpoint overlaid; x as values or log10 |x|, counts linear or log.
import '../shared/base.css';
import '../shared/elements.ts';
import { HISTOGRAM_KINDS, type HistogramKind, type HistogramsData, type XScale } from '../protocol.ts';
import { drawChart } from '../shared/charts.ts';
import { h, replace, setOptions } from '../shared/dom.ts';
import { histogramNote, histogramTrace, histogramXAxis } from '../shared/histogramTrace.ts';
import { TensorView } from '../shared/tensorView.ts';

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

let last: HistogramsData | undefined;
const view = new TensorView<'histograms', Ui>({
  view: 'histograms',
  title: 'Moment histograms',
  testid: 'histograms-title',
  initialUi: { tensor: null, compareWith: null, xScale: 'auto', logCounts: false },
  fromArgs: (ui, args) => ({ ...ui, tensor: args.tensor ?? ui.tensor, compareWith: args.compareWith ?? null }),
  request: (ui, requestId) => ({ type: 'histograms/request', requestId, tensor: ui.tensor, compareWith: ui.compareWith, xScale: ui.xScale }),
  draw: (d) => {
    last = d;
    draw(d);
  },
  onContext: (c) =>
    setOptions(compare, [{ value: NO_COMPARE, label: 'none' }, ...c.checkpoints.filter((x) => x.path !== c.checkpoint.path).map((x) => ({ value: x.path, label: x.label }))], view.ui.compareWith ?? NO_COMPARE),
});
const compare = h('vscode-single-select', { testid: 'histograms-compare', attrs: { 'aria-label': 'checkpoint to overlay' } });
compare.addEventListener('change', () => view.update({ compareWith: compare.value || null }));
const xScale = h('vscode-single-select', { testid: 'histograms-x-scale', attrs: { 'aria-label': 'x axis' } });
setOptions(xScale, [{ value: 'auto', label: 'automatic' }, { value: 'linear', label: 'values' }, { value: 'log', label: 'log10 |x|' }], view.ui.xScale);
xScale.addEventListener('change', () => view.update({ xScale: xScale.value as XScale }));
const logCounts = h('vscode-checkbox', { testid: 'histograms-log-counts', attrs: { label: 'log counts' } });
logCounts.checked = view.ui.logCounts;
logCounts.addEventListener('change', () => {
  view.keep({ logCounts: logCounts.checked });
  if (last) draw(last);
});

const charts = new Map(HISTOGRAM_KINDS.map((k) => [k, { chart: h('div', { class: 'chart', testid: `histogram-chart-${k}` }), note: h('p', { class: 'note lines', testid: `histogram-note-${k}` }) }]));
document.body.append(
  view.title,
  view.status.element,
  h('div', { class: 'controls' }, view.picker.element, h('label', {}, 'Overlay', compare), h('label', {}, 'x axis', xScale), logCounts),
  h('div', { class: 'chart-grid' }, ...HISTOGRAM_KINDS.map((k) => h('section', { class: 'card' }, h('h2', {}, TITLES[k]), charts.get(k)!.chart, charts.get(k)!.note))),
);

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
      yaxis: { title: { text: 'count' }, type: view.ui.logCounts ? 'log' : 'linear' },
    });
  }
}

view.start();
