// The report's per-layer charts: quantization error by layer for one group of codebooks, the
// default plan's pruning ratio, and the outlier rows and columns.
import type { LayerSeries, SchemeInfo } from '../protocol.ts';
import { drawChart } from '../shared/charts.ts';
import { h, setOptions } from '../shared/dom.ts';

export interface LayerChartState {
  quantGroup: string | null;
  logQuant: boolean;
}

export class LayerCharts {
  readonly element: HTMLElement;
  private readonly quantChart = h('div', { class: 'chart', testid: 'report-quant-chart' });
  private readonly ratioChart = h('div', { class: 'chart', testid: 'report-ratio-chart' });
  private readonly outlierChart = h('div', { class: 'chart', testid: 'report-outlier-chart' });
  private readonly groupSelect = h('vscode-single-select', { testid: 'report-quant-group', attrs: { 'aria-label': 'codebook group' } });
  private readonly logBox = h('vscode-checkbox', { testid: 'report-quant-log', attrs: { label: 'log scale' } });
  private layers: LayerSeries | undefined;
  private schemes: SchemeInfo[] = [];

  constructor(
    private state: LayerChartState,
    private readonly onChange: (state: LayerChartState) => void,
  ) {
    this.logBox.checked = state.logQuant;
    this.groupSelect.addEventListener('change', () => this.set({ quantGroup: this.groupSelect.value }));
    this.logBox.addEventListener('change', () => this.set({ logQuant: this.logBox.checked }));
    this.element = h(
      'div',
      { class: 'chart-grid' },
      h('section', { class: 'card' }, h('h2', {}, 'Quantization error by layer'), h('div', { class: 'controls' }, this.groupSelect, this.logBox), this.quantChart),
      h('section', { class: 'card' }, h('h2', {}, 'Suggested pruning ratio'), h('p', { class: 'note' }, 'error-optimal plan, magnitude criterion, 50 % global sparsity'), this.ratioChart),
      h('section', { class: 'card' }, h('h2', {}, 'Outliers'), h('p', { class: 'note' }, 'rows and columns whose max |w| exceeds k times the median'), this.outlierChart),
    );
  }

  /** Changes the state without redrawing (before data arrives) and reports it. */
  update(patch: Partial<LayerChartState>): void {
    this.state = { ...this.state, ...patch };
    this.onChange(this.state);
  }

  private set(patch: Partial<LayerChartState>): void {
    this.update(patch);
    this.drawQuant();
  }

  setData(layers: LayerSeries, schemes: SchemeInfo[]): void {
    this.layers = layers;
    this.schemes = schemes;
    const groups = [...new Set(schemes.map((s) => s.group))];
    if (this.state.quantGroup === null || !groups.includes(this.state.quantGroup)) this.state.quantGroup = groups[0] ?? null;
    setOptions(this.groupSelect, groups.map((g) => ({ value: g, label: g })), this.state.quantGroup ?? '');
    this.drawQuant();
    drawChart(this.ratioChart, [{ type: 'bar', name: 'suggested ratio', x: layers.ids, y: layers.suggestedRatio }], {
      yaxis: { title: { text: 'ratio removed' }, tickformat: '.0%', range: [0, 1] },
      xaxis: { type: 'category' },
    });
    drawChart(
      this.outlierChart,
      [
        { type: 'bar', name: 'outlier rows', x: layers.ids, y: layers.outlierRows },
        { type: 'bar', name: 'outlier columns', x: layers.ids, y: layers.outlierCols },
      ],
      { barmode: 'group', yaxis: { title: { text: 'count' }, rangemode: 'tozero' }, xaxis: { type: 'category' }, showlegend: true },
    );
  }

  private drawQuant(): void {
    const layers = this.layers;
    if (!layers) return;
    const traces = this.schemes.flatMap((s, i) => (s.group === this.state.quantGroup ? [{ type: 'bar' as const, name: s.label, x: layers.ids, y: layers.quant[i]! }] : []));
    drawChart(this.quantChart, traces, {
      barmode: 'group',
      showlegend: true,
      xaxis: { type: 'category' },
      yaxis: { title: { text: 'relative error' }, type: this.state.logQuant ? 'log' : 'linear', exponentformat: 'power' },
    });
  }
}
