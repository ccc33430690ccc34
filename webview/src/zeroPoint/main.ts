// Zero-point effect: Adam's update size h(v) for the original second moment and for its 4-bit
// quantizations with and without a zero in the codebook, on log axes, with zero_frac and update_rel_err.
import '../shared/base.css';
import '../shared/elements.ts';
import type { ZeroPointData, ZeroPointSideView } from '../protocol.ts';
import { drawChart } from '../shared/charts.ts';
import { h, replace } from '../shared/dom.ts';
import { formatNumber, formatPercent } from '../shared/format.ts';
import { histogramTrace, histogramXAxis } from '../shared/histogramTrace.ts';
import { TensorView } from '../shared/tensorView.ts';

interface Ui {
  tensor: string | null;
  logCounts: boolean;
}

let last: ZeroPointData | undefined;
const view = new TensorView<'zeroPoint', Ui>({
  view: 'zeroPoint',
  title: 'Zero-point effect',
  testid: 'zero-point-title',
  initialUi: { tensor: null, logCounts: true },
  request: (ui, requestId) => ({ type: 'zeroPoint/request', requestId, tensor: ui.tensor }),
  draw: (d) => {
    last = d;
    draw(d);
  },
});
const explain = h(
  'p',
  { class: 'note' },
  'A 4-bit codebook for exp_avg_sq that contains zero sends small second moments to exactly 0, and the Adam update 1/(√v + ε) of those entries explodes; a codebook without zero keeps them finite.',
);
const logCounts = h('vscode-checkbox', { testid: 'zero-point-log-counts', attrs: { label: 'log counts' } });
logCounts.checked = view.ui.logCounts;
logCounts.addEventListener('change', () => {
  view.keep({ logCounts: logCounts.checked });
  if (last) draw(last);
});
const chart = h('div', { class: 'chart', testid: 'zero-point-chart' });
const stats = h('tbody');
document.body.append(
  view.title,
  explain,
  view.status.element,
  h('div', { class: 'controls' }, view.picker.element, logCounts),
  h('section', { class: 'card' }, chart),
  h(
    'table',
    { class: 'data', testid: 'zero-point-stats' },
    h('thead', {}, h('tr', {}, h('th', {}), h('th', { class: 'text' }, 'scheme'), h('th', {}, 'zero_frac'), h('th', {}, 'update_rel_err'))),
    stats,
  ),
);

function draw(d: ZeroPointData): void {
  const sides: Array<[string, ZeroPointSideView]> = [
    ['original', d.original],
    ['4-bit with zero', d.withZero],
    ['4-bit without zero', d.withoutZero],
  ];
  // The original filled, the two quantizations as outlines on top of it.
  drawChart(chart, sides.map(([name, s], i) => histogramTrace(s.histogram, name, i === 0)), {
    title: { text: `h(v) of ${d.tensor}` },
    showlegend: true,
    xaxis: histogramXAxis(d.original.histogram, 'h(v)'),
    yaxis: { title: { text: 'count' }, type: view.ui.logCounts ? 'log' : 'linear' },
  });
  replace(
    stats,
    ...sides.map(([name, s]) => {
      const tr = h('tr', {}, h('td', {}, name), h('td', { class: 'text' }, s.scheme), h('td', {}, formatPercent(s.zeroFrac, 3)), h('td', {}, formatNumber(s.updateRelErr)));
      tr.dataset.side = name;
      return tr;
    }),
  );
}

view.start();
