// One tensor's details under the report table: its statistics, weight histogram and h(v), and
// buttons to the moment histograms, the zero-point effect and the outlier profiles.
import type { LinkedView, ReportDetails } from '../protocol.ts';
import { drawChart } from '../shared/charts.ts';
import { h, replace } from '../shared/dom.ts';
import { formatCount, formatNumber, formatPercent, formatShape } from '../shared/format.ts';
import { histogramNote, histogramTrace, histogramXAxis } from '../shared/histogramTrace.ts';

export class DetailsPane {
  readonly element = h('section', { class: 'card', testid: 'report-details', attrs: { 'aria-label': 'tensor details' } });

  constructor(private readonly onOpen: (view: LinkedView, tensor: string) => void) {
    this.element.hidden = true;
  }

  show(d: ReportDetails, hasMoments: boolean): void {
    this.element.hidden = false;
    const openHistograms = h('vscode-button', { testid: 'report-open-histograms' }, 'Moment histograms');
    openHistograms.addEventListener('click', () => this.onOpen('histograms', d.tensor));
    const openZeroPoint = h('vscode-button', { testid: 'report-open-zero-point', attrs: { secondary: '' } }, 'Zero-point effect');
    openZeroPoint.addEventListener('click', () => this.onOpen('zeroPoint', d.tensor));
    if (!hasMoments) openZeroPoint.setAttribute('disabled', '');
    const openOutliers = h('vscode-button', { testid: 'report-open-outliers', attrs: { secondary: '' } }, 'Outliers');
    openOutliers.addEventListener('click', () => this.onOpen('outliers', d.tensor));
    // Outlier rows and columns need a matrix.
    if (d.shape.length < 2) openOutliers.setAttribute('disabled', '');
    const weightChart = h('div', { class: 'chart', testid: 'report-details-weight-chart' });
    const updateChart = h('div', { class: 'chart', testid: 'report-details-update-chart' });
    replace(
      this.element,
      h('h2', { testid: 'report-details-name' }, d.tensor),
      h('p', { class: 'note' }, `${formatShape(d.shape)} · ${d.dtype} · layer ${d.layer}${d.planRatio === null ? '' : ` · current plan removes ${formatPercent(d.planRatio)}`}`),
      h('div', { class: 'controls' }, openHistograms, openZeroPoint, openOutliers),
      this.statsTable(d),
      h(
        'div',
        { class: 'chart-grid' },
        d.weight && h('div', {}, weightChart, h('p', { class: 'note' }, histogramNote(d.weight))),
        d.update && h('div', {}, updateChart, h('p', { class: 'note' }, histogramNote(d.update))),
      ),
    );
    if (d.weight) drawChart(weightChart, [histogramTrace(d.weight, 'weights')], { title: { text: 'Weights' }, xaxis: histogramXAxis(d.weight, 'w'), yaxis: { title: { text: 'count' } } });
    if (d.update) drawChart(updateChart, [histogramTrace(d.update, 'h(v)')], { title: { text: 'Adam update size h(v) = 1/(√v + ε)' }, xaxis: histogramXAxis(d.update, 'h(v)'), yaxis: { title: { text: 'count' }, type: 'log' } });
  }

  private statsTable(d: ReportDetails): HTMLTableElement {
    const cols = ['', 'mean', 'std', 'min', 'max', 'max |x|', 'zeros', 'NaN/Inf'];
    return h(
      'table',
      { class: 'data', testid: 'report-details-stats' },
      h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', {}, c)))),
      h(
        'tbody',
        {},
        ...d.stats.map((s) =>
          h('tr', {}, h('td', {}, s.label), ...[s.mean, s.std, s.min, s.max, s.absmax].map((x) => h('td', {}, formatNumber(x))), h('td', {}, formatCount(s.zeros)), h('td', {}, formatCount(s.nonfinite))),
        ),
      ),
    );
  }
}
