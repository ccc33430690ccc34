// Compression report: what a .ckpz archive (or the compress job that just wrote it) achieved: sizes
// and ratio overall and per entry, and for the selected ExCP entry the kept shares and errors per layer.
import '../shared/base.css';
import '../shared/elements.ts';
import type { CompressionData, PanelArgs } from '../protocol.ts';
import { drawChart } from '../shared/charts.ts';
import { h } from '../shared/dom.ts';
import { formatBytes } from '../shared/format.ts';
import { statusArea } from '../shared/status.ts';
import { connect } from '../shared/vscodeApi.ts';
import { EntriesTable, formatRatio } from './entriesTable.ts';
import { EntryDetails } from './entryDetails.ts';

interface Ui {
  /** the entry shown below the table; null: the last ExCP entry (else the last) */
  selected: number | null;
}

const channel = connect<'compression', Ui>('compression');
const restored = channel.restored();
let args: PanelArgs['compression'] = restored?.args ?? {};
let ui: Ui = restored?.ui ?? { selected: null };
let data: CompressionData | undefined;

const status = statusArea();
const title = h('h1', { testid: 'compression-title' }, 'Compression report');
const summary = h('p', { class: 'subtitle', testid: 'compression-summary' });
const ratioChart = h('div', { class: 'chart', testid: 'compression-ratio-chart' });
const ratioCard = h('section', { class: 'card' }, h('h2', {}, 'Ratio per entry'), ratioChart);
const entries = new EntriesTable((i) => select(i));
const details = new EntryDetails();
document.body.append(title, summary, status.element, h('h2', {}, 'Entries'), entries.element, ratioCard, details.element);

function defaultEntry(d: CompressionData): number {
  const excp = d.entries.map((e, i) => (e.mode === 'excp' ? i : -1)).filter((i) => i >= 0);
  return excp.at(-1) ?? d.entries.length - 1;
}

function select(i: number): void {
  if (!data || !data.entries[i]) return;
  ui = { selected: i };
  channel.save(args, ui);
  details.show(data.entries[i]);
}

function show(d: CompressionData): void {
  data = d;
  args = d.args;
  status.clearError();
  title.textContent = `Compression report: ${d.archive.label}`;
  const n = d.entries.length;
  const took = d.seconds === null ? '' : ` · written in ${d.seconds.toFixed(d.seconds < 10 ? 1 : 0)} s`;
  summary.textContent = `${formatBytes(d.origBytes)} → ${formatBytes(d.compressedBytes)} · ${formatRatio(d.ratio)} smaller · ${n} entr${n === 1 ? 'y' : 'ies'}${took}${d.source === 'archive' ? ' · read from the archive' : ''}`;
  const selected = ui.selected !== null && ui.selected < n ? ui.selected : defaultEntry(d);
  entries.show(d.entries, selected);
  // A series: how each checkpoint fared (the first is stored whole, the rest as residuals).
  ratioCard.hidden = n < 2;
  if (n >= 2) {
    drawChart(ratioChart, [{ type: 'bar', name: 'ratio', x: d.entries.map((e) => e.name), y: Float64Array.from(d.entries, (e) => e.ratio) }], {
      xaxis: { type: 'category' },
      yaxis: { title: { text: 'original / archived' }, type: 'log' },
    });
  }
  select(selected);
}

channel.onMessage((m) => {
  switch (m.type) {
    case 'compression/data':
      show(m);
      break;
    case 'busy':
    case 'error':
      status.show(m);
      break;
  }
});
channel.post({ type: 'ready' });
