// One entry of the archive in detail: how it was coded, against what, and per layer the share of
// weight residuals and moments kept and the errors restore will have, as charts and a table.
import type { CompressionEntry, CompressionLayers } from '../protocol.ts';
import { drawChart } from '../shared/charts.ts';
import { h, replace } from '../shared/dom.ts';
import { formatCount, formatNumber, formatPercent } from '../shared/format.ts';

export class EntryDetails {
  private readonly heading = h('h2', { testid: 'compression-entry-name' });
  private readonly facts = h('p', { class: 'note lines', testid: 'compression-entry-facts' });
  private readonly keptChart = h('div', { class: 'chart', testid: 'compression-kept-chart' });
  private readonly errorChart = h('div', { class: 'chart', testid: 'compression-error-chart' });
  private readonly charts = h(
    'div',
    { class: 'chart-grid' },
    h('section', { class: 'card' }, h('h2', {}, 'Kept per layer'), h('p', { class: 'note' }, 'share of weight residuals and of Adam moment entries kept (the rest restore as the reference, or zero)'), this.keptChart),
    h('section', { class: 'card' }, h('h2', {}, 'Error per layer'), h('p', { class: 'note' }, '‖Ŵ − W‖ / ‖W‖ and the relative error of Adam’s update size h(v), pooled over the layer'), this.errorChart),
  );
  private readonly layerBody = h('tbody');
  private readonly layerTable = h(
    'table',
    { class: 'data', testid: 'compression-layers' },
    h('thead', {}, h('tr', {}, ...['Layer', 'Params', 'Kept weights', 'Kept moments', 'Weight error', 'h(v) error', 'Lossless tensors'].map((c) => h('th', {}, c)))),
    this.layerBody,
  );
  private readonly lossless = h('p', { class: 'note', testid: 'compression-lossless-note' });
  /** what only an ExCP entry has (a lossless one has no per-layer figures) */
  private readonly perLayer = h('div', {}, this.charts, h('h2', {}, 'Layers'), this.layerTable);
  readonly element = h('section', { testid: 'compression-entry' }, this.heading, this.facts, this.lossless, this.perLayer);

  show(e: CompressionEntry): void {
    this.heading.textContent = `${e.name}${e.step === null ? '' : ` (step ${e.step})`}`;
    const lines = [`Parameters: ${e.params}`];
    if (e.reference) lines.push(`Reference: ${e.reference}`);
    this.facts.textContent = lines.join('\n');
    const excp = e.mode === 'excp';
    this.perLayer.hidden = !excp;
    if (!excp) {
      this.lossless.textContent = 'Lossless entry: every tensor restores bit-exact; nothing was pruned or quantized.';
      return;
    }
    this.lossless.textContent =
      e.losslessParams.length === 0 ? '' : `Stored losslessly inside this ExCP entry: ${e.losslessParams.map((p) => `${p.name} (${p.reason})`).join(', ')}.`;
    this.draw(e.layers);
  }

  private draw(l: CompressionLayers): void {
    drawChart(
      this.keptChart,
      [
        { type: 'bar', name: 'weight residuals kept', x: l.ids, y: l.keptW },
        { type: 'bar', name: 'moments kept', x: l.ids, y: l.keptM },
      ],
      { barmode: 'group', showlegend: true, xaxis: { type: 'category' }, yaxis: { title: { text: 'share kept' }, tickformat: '.0%', rangemode: 'tozero' } },
    );
    drawChart(
      this.errorChart,
      [
        { type: 'bar', name: 'weight error', x: l.ids, y: l.relErrW },
        { type: 'bar', name: 'h(v) error', x: l.ids, y: l.updateRelErr },
      ],
      { barmode: 'group', showlegend: true, xaxis: { type: 'category' }, yaxis: { title: { text: 'relative error' }, type: 'log', exponentformat: 'power' } },
    );
    replace(
      this.layerBody,
      ...l.ids.map((id, i) => {
        const tr = h(
          'tr',
          {},
          h('td', {}, id),
          h('td', {}, formatCount(l.params[i]!)),
          h('td', {}, formatPercent(l.keptW[i]!, 2)),
          h('td', {}, formatPercent(l.keptM[i]!, 2)),
          h('td', {}, formatNumber(l.relErrW[i]!)),
          h('td', {}, formatNumber(l.updateRelErr[i]!)),
          h('td', {}, formatCount(l.lossless[i]!)),
        );
        tr.dataset.layer = id;
        return tr;
      }),
    );
  }
}
