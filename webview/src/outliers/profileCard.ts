// One side (rows or columns) of a tensor's outliers: its max-abs profile with the outliers marked and
// the k·median threshold, a heat-strip of max |w| / median that saturates at k, and the outlier list.
import type { OutlierProfileView } from '../protocol.ts';
import { drawChart, type Trace } from '../shared/charts.ts';
import { h, replace } from '../shared/dom.ts';
import { formatCount, formatNumber } from '../shared/format.ts';
import { chartTheme } from '../shared/theme.ts';

/** Outliers listed by index; more than this are counted, not listed. */
const MAX_LISTED = 50;

export class ProfileCard {
  readonly element: HTMLElement;
  private readonly note = h('p', { class: 'note' });
  private readonly chart: HTMLElement;
  private readonly strip: HTMLElement;
  private readonly list = h('tbody');
  private readonly more = h('p', { class: 'note' });

  constructor(
    private readonly side: 'rows' | 'columns',
    private readonly unit: 'row' | 'column',
  ) {
    this.chart = h('div', { class: 'chart', testid: `outliers-${side}-chart` });
    this.strip = h('div', { class: 'chart strip', testid: `outliers-${side}-strip` });
    const table = h(
      'table',
      { class: 'data compact', testid: `outliers-${side}-list` },
      h('thead', {}, h('tr', {}, h('th', {}, unit), h('th', {}, 'max |w|'), h('th', {}, '× median'))),
      this.list,
    );
    this.element = h('section', { class: 'card' }, h('h2', {}, `${unit[0]!.toUpperCase()}${unit.slice(1)} max |w|`), this.note, this.chart, this.strip, h('div', { class: 'table-scroll short' }, table), this.more);
  }

  show(p: OutlierProfileView, k: number): void {
    const n = p.maxAbs.length;
    const limit = k * p.median;
    const index = Float64Array.from({ length: n }, (_, i) => i);
    const marked = Float64Array.from(p.indices);
    const markedValues = Float64Array.from(p.indices, (i) => p.maxAbs[i]!);
    const palette = chartTheme().palette;
    const traces: Trace[] = [
      { type: 'scatter', mode: 'lines', name: 'max |w|', x: index, y: p.maxAbs, line: { shape: n > 1 ? 'hv' : 'linear' }, hovertemplate: `${this.unit} %{x}: %{y:.4g}<extra></extra>` },
      { type: 'scatter', mode: 'lines', name: `k·median = ${formatNumber(limit)}`, x: [0, Math.max(0, n - 1)], y: [limit, limit], line: { dash: 'dash', color: palette[6]! } },
      { type: 'scatter', mode: 'markers', name: `outlier ${this.side}`, x: marked, y: markedValues, marker: { color: palette[3]! }, hovertemplate: `${this.unit} %{x}: %{y:.4g}<extra>outlier</extra>` },
    ];
    drawChart(this.chart, traces, { showlegend: true, xaxis: { title: { text: `${this.unit} index` } }, yaxis: { title: { text: 'max |w|' }, rangemode: 'tozero' } });
    // The strip in units of the median: typical entries sit near 1, outliers saturate at k.
    const ratio = p.median > 0 ? Float64Array.from(p.maxAbs, (v) => v / p.median) : new Float64Array(n);
    drawChart(
      this.strip,
      [{ type: 'heatmap', z: [ratio], x: index, y: [this.side], zmin: 0, zmax: k, colorbar: { title: { text: '× median' }, thickness: 10, len: 1 }, hovertemplate: `${this.unit} %{x}: %{z:.3g} × median<extra></extra>` }],
      { height: 120, xaxis: { showticklabels: false, fixedrange: true }, yaxis: { showticklabels: false, fixedrange: true } },
    );
    this.note.textContent = `${formatCount(p.indices.length)} of ${formatCount(n)} ${this.side} above k = ${formatNumber(k)} × the median ${formatNumber(p.median)}`;
    const listed = Array.from(p.indices.subarray(0, MAX_LISTED));
    replace(
      this.list,
      ...listed.map((i) => {
        const tr = h('tr', {}, h('td', {}, String(i)), h('td', {}, formatNumber(p.maxAbs[i]!)), h('td', {}, p.median > 0 ? formatNumber(p.maxAbs[i]! / p.median) : '–'));
        tr.dataset.index = String(i);
        return tr;
      }),
    );
    this.more.textContent = p.indices.length > MAX_LISTED ? `… and ${formatCount(p.indices.length - MAX_LISTED)} more` : p.indices.length === 0 ? `No outlier ${this.side}.` : '';
  }
}
