// Zero-point effect: Adam's update size h(v) for the original second moment and for its 4-bit
// quantizations with and without a zero in the codebook, on log axes, with zero_frac and update_rel_err.
import '../shared/base.css';
import '../shared/elements.ts';
import type { CheckpointRef, PanelArgs, ZeroPointData, ZeroPointSideView } from '../protocol.ts';
import { sameArgs } from '../shared/args.ts';
import { drawChart } from '../shared/charts.ts';
import { h, replace } from '../shared/dom.ts';
import { formatNumber, formatPercent } from '../shared/format.ts';
import { histogramTrace, histogramXAxis } from '../shared/histogramTrace.ts';
import { statusArea } from '../shared/status.ts';
import { tensorPicker } from '../shared/tensorPicker.ts';
import { connect } from '../shared/vscodeApi.ts';

interface Ui {
  tensor: string | null;
  logCounts: boolean;
}

const channel = connect<'zeroPoint', Ui>('zeroPoint');
const restored = channel.restored();
let args: PanelArgs['zeroPoint'] = restored?.args ?? {};
let ui: Ui = restored?.ui ?? { tensor: null, logCounts: true };
let checkpoint: CheckpointRef | undefined;
let requestId = 0;
let last: ZeroPointData | undefined;

const status = statusArea();
const title = h('h1', { testid: 'zero-point-title' }, 'Zero-point effect');
const explain = h(
  'p',
  { class: 'note' },
  'A 4-bit codebook for exp_avg_sq that contains zero sends small second moments to exactly 0, and the Adam update 1/(√v + ε) of those entries explodes; a codebook without zero keeps them finite.',
);
const picker = tensorPicker((tensor) => {
  ui = { ...ui, tensor };
  channel.save(args, ui);
  request();
});
const logCounts = h('vscode-checkbox', { testid: 'zero-point-log-counts', attrs: { label: 'log counts' } });
logCounts.checked = ui.logCounts;
logCounts.addEventListener('change', () => {
  ui = { ...ui, logCounts: logCounts.checked };
  channel.save(args, ui);
  if (last) draw(last);
});
const chart = h('div', { class: 'chart', testid: 'zero-point-chart' });
const stats = h('tbody');
document.body.append(
  title,
  explain,
  status.element,
  h('div', { class: 'controls' }, picker.element, logCounts),
  h('section', { class: 'card' }, chart),
  h(
    'table',
    { class: 'data', testid: 'zero-point-stats' },
    h('thead', {}, h('tr', {}, h('th', {}), h('th', { class: 'text' }, 'scheme'), h('th', {}, 'zero_frac'), h('th', {}, 'update_rel_err'))),
    stats,
  ),
);

function request(): void {
  if (ui.tensor === null) return;
  status.clearError();
  channel.post({ type: 'zeroPoint/request', requestId: ++requestId, tensor: ui.tensor });
}

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
    yaxis: { title: { text: 'count' }, type: ui.logCounts ? 'log' : 'linear' },
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

/** The picker's list needs the whole checkpoint analysed: asked for once, after the first answer. */
let tensorsAsked = false;
function askForTensors(): void {
  if (tensorsAsked) return;
  tensorsAsked = true;
  channel.post({ type: 'requestTensors' });
}

channel.onMessage((m) => {
  switch (m.type) {
    case 'zeroPoint/context':
      if (ui.tensor === null || !sameArgs(args, m.args)) ui = { ...ui, tensor: m.args.tensor ?? ui.tensor };
      args = m.args;
      // Another checkpoint has other tensors.
      if (checkpoint?.path !== m.checkpoint.path) tensorsAsked = false;
      checkpoint = m.checkpoint;
      title.textContent = `Zero-point effect: ${checkpoint.label}`;
      picker.set(ui.tensor ?? '');
      channel.save(args, ui);
      request();
      if (ui.tensor === null) askForTensors();
      break;
    case 'zeroPoint/data':
      if (m.requestId !== requestId) break; // an answer to an older request
      last = m;
      draw(m);
      askForTensors();
      break;
    case 'tensors':
      picker.setNames(m.names);
      if (ui.tensor === null && m.names[0] !== undefined) {
        ui = { ...ui, tensor: m.names[0] };
        picker.set(m.names[0]);
        request();
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
