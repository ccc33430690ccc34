// Pruning explorer: a global sparsity slider, criterion and strategy, per-layer overrides, structured
// on/off; every change asks the host for a plan (debounced; only the newest answer is drawn) and
// redraws the per-layer chart and the totals. "Apply…" writes the pruned checkpoint through the host.
import '../shared/base.css';
import '../shared/elements.ts';
import { CRITERIA, STRATEGIES, type CheckpointRef, type Criterion, type PanelArgs, type PlanParams, type PlanView, type Strategy } from '../protocol.ts';
import { sameArgs } from '../shared/args.ts';
import { drawChart } from '../shared/charts.ts';
import { debounce, h, setOptions } from '../shared/dom.ts';
import { formatCount, formatPercent } from '../shared/format.ts';
import { chartTheme } from '../shared/theme.ts';
import { statusArea } from '../shared/status.ts';
import { connect } from '../shared/vscodeApi.ts';
import { LayerTable } from './layerTable.ts';
import { Totals } from './totals.ts';

/** Slider moves closer together than this become one request. */
const DEBOUNCE_MS = 120;
const DEFAULT_PARAMS: PlanParams = { target: 0.2, criterion: 'magnitude', strategy: 'error-optimal', overrides: {} };
/** The highest target a structured plan is asked for (it must stay below 1). */
const STRUCTURED_MAX = 0.95;

const channel = connect<'pruning', PlanParams>('pruning');
const restored = channel.restored();
let args: PanelArgs['pruning'] = restored?.args ?? {};
let params: PlanParams = restored?.ui ?? DEFAULT_PARAMS;
let checkpoint: CheckpointRef | undefined;
let requestId = 0;
let plan: PlanView | undefined;

const status = statusArea();
const title = h('h1', { testid: 'pruning-title' }, 'Pruning explorer');
const slider = h('input', { testid: 'pruning-global-slider', attrs: { type: 'range', min: '0', max: '100', step: '1', 'aria-label': 'global sparsity (percent)' } });
const sliderValue = h('output', { testid: 'pruning-global-value' });
const criterion = h('vscode-single-select', { testid: 'pruning-criterion', attrs: { 'aria-label': 'criterion' } });
const strategy = h('vscode-single-select', { testid: 'pruning-strategy', attrs: { 'aria-label': 'strategy' } });
const structured = h('vscode-checkbox', { testid: 'pruning-structured', title: 'remove whole attention heads (or KV groups) and MLP channels instead of single weights', attrs: { label: 'Structured (heads, channels)' } });
const modeNote = h('p', { class: 'note', testid: 'pruning-mode-note' });
const chartNote = h('p', { class: 'note' });
const reset = h('vscode-button', { testid: 'pruning-reset', attrs: { secondary: '' } }, 'Release all layers');
const exportPlan = h('vscode-button', { testid: 'pruning-export', attrs: { secondary: '' } }, 'Export plan…');
const apply = h('vscode-button', { testid: 'pruning-apply' }, 'Apply…');
const applied = h('p', { class: 'note', testid: 'pruning-applied', attrs: { role: 'status' } });
const chart = h('div', { class: 'chart', testid: 'pruning-layer-chart' });
const totals = new Totals();
const layers = new LayerTable(
  (layer, ratio) => change({ overrides: { ...params.overrides, [layer]: ratio } }),
  (layer) => {
    const { [layer]: _released, ...rest } = params.overrides;
    change({ overrides: rest }, true);
  },
);

document.body.append(
  title,
  modeNote,
  status.element,
  h(
    'div',
    { class: 'controls' },
    h('label', { class: 'grow' }, 'Global sparsity', slider, sliderValue),
    h('label', {}, 'Criterion', criterion),
    h('label', {}, 'Strategy', strategy),
    structured,
    reset,
    exportPlan,
    apply,
  ),
  applied,
  h('div', { class: 'chart-grid' }, h('section', { class: 'card' }, h('h2', {}, 'Ratio per layer'), chartNote, chart), totals.element),
  h('h2', {}, 'Layers'),
  layers.element,
);

const criterionLabels: Record<Criterion, string> = { magnitude: 'magnitude |w|', taylor: 'Taylor |w·m|', obd: 'OBD w²·v', excp: 'ExCP' };
setOptions(criterion, CRITERIA.map((c) => ({ value: c, label: criterionLabels[c] })), params.criterion);
setOptions(strategy, STRATEGIES.map((s) => ({ value: s, label: s })), params.strategy);
criterion.addEventListener('change', () => change({ criterion: criterion.value as Criterion }, true));
strategy.addEventListener('change', () => change({ strategy: strategy.value as Strategy }, true));
structured.addEventListener('change', () => {
  // A structured plan keeps a head and a channel per block: its target stays below 100 %.
  const on = structured.checked;
  change({ structured: on, ...(on && params.target > STRUCTURED_MAX ? { target: STRUCTURED_MAX } : {}) }, true);
});
slider.addEventListener('input', () => change({ target: Number(slider.value) / 100 }));
reset.addEventListener('click', () => change({ overrides: {} }, true));
exportPlan.addEventListener('click', () => channel.post({ type: 'pruning/export', params }));
apply.addEventListener('click', () => channel.post({ type: 'pruning/apply', params }));
showParams();

function showParams(): void {
  const on = params.structured === true;
  slider.max = on ? String(Math.round(STRUCTURED_MAX * 100)) : '100';
  slider.value = String(Math.round(params.target * 100));
  sliderValue.textContent = formatPercent(params.target, 0);
  structured.checked = on;
  for (const el of [strategy, reset]) el.toggleAttribute('disabled', on);
  modeNote.textContent = on
    ? 'Structured pruning: whole attention heads (KV groups under GQA) and MLP channels are removed, lowest importance per parameter first across all blocks; each block keeps at least one of each.'
    : 'Unstructured pruning: each layer loses its lowest-importance weights; the plan spends the global target where it costs least error.';
  chartNote.textContent = on ? 'Share of each block’s grouped parameters removed; hover a bar for the groups.' : 'Bars in the second colour are layers fixed by their slider.';
}

function sendPlanRequest(): void {
  status.clearError();
  channel.post({ type: 'pruning/plan', requestId: ++requestId, params });
}
const sendDebounced = debounce(sendPlanRequest, DEBOUNCE_MS);

function change(patch: Partial<PlanParams>, now = false): void {
  params = { ...params, ...patch };
  showParams();
  channel.save(args, params);
  if (now) sendPlanRequest();
  else sendDebounced();
}

function draw(p: PlanView): void {
  // Layers the user fixed stand out in the theme's second colour; the error line takes a fifth.
  const palette = chartTheme().palette;
  const colors = Array.from(p.fixed, (f) => (f ? palette[1]! : palette[0]!));
  drawChart(
    chart,
    [
      {
        type: 'bar',
        name: 'ratio removed',
        x: p.layers,
        y: p.ratio,
        marker: { color: colors },
        ...(p.groups ? { customdata: p.groups, hovertemplate: '%{x}: %{y:.1%}<br>%{customdata}<extra></extra>' } : {}),
      },
      { type: 'scatter', mode: 'lines+markers', name: 'relative error', x: p.layers, y: p.relErr, yaxis: 'y2', line: { color: palette[4]! } },
    ],
    {
      showlegend: true,
      xaxis: { type: 'category' },
      yaxis: { title: { text: 'ratio removed' }, tickformat: '.0%', range: [0, 1] },
      yaxis2: { title: { text: 'relative error' }, overlaying: 'y', side: 'right' },
    },
  );
  totals.show(p);
  layers.show(p);
}

channel.onMessage((m) => {
  switch (m.type) {
    case 'pruning/context':
      // Another checkpoint has other layers: its overrides would not apply.
      if (!sameArgs(args, m.args)) params = { ...params, overrides: {} };
      args = m.args;
      checkpoint = m.checkpoint;
      title.textContent = `Pruning explorer: ${checkpoint.label}`;
      channel.save(args, params);
      sendPlanRequest();
      break;
    case 'pruning/planResult':
      if (m.requestId !== requestId) break; // a newer request is on its way
      plan = m.plan;
      draw(plan);
      break;
    case 'pruning/planError':
      if (m.requestId === requestId) status.show({ type: 'error', message: m.message });
      break;
    case 'pruning/applied':
      applied.textContent = `Wrote ${m.output}: ${formatCount(m.tensors)} tensors pruned, ${formatCount(m.removed)} weights set to zero.`;
      break;
    case 'busy':
    case 'error':
      status.show(m);
      break;
  }
});
channel.post({ type: 'ready' });
