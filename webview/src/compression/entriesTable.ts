// The archive's entries (one per checkpoint): sizes, ratio and pooled figures; a row selects the
// entry whose layers are shown below.
import type { CompressionEntry } from '../protocol.ts';
import { h, replace } from '../shared/dom.ts';
import { formatBytes, formatNumber, formatPercent } from '../shared/format.ts';

const COLUMNS = ['Entry', 'Step', 'Mode', 'Original', 'Archived', 'Ratio', 'Kept weights', 'Kept moments', 'Weight error', 'h(v) error'];

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(r < 10 ? 2 : 1)}×` : '–';
}

export class EntriesTable {
  private readonly body = h('tbody');
  readonly element = h(
    'div',
    { class: 'table-scroll short' },
    h('table', { class: 'data', testid: 'compression-entries', attrs: { 'aria-label': 'archive entries' } }, h('thead', {}, h('tr', {}, ...COLUMNS.map((c, i) => h('th', { class: i < 3 ? 'text' : '' }, c)))), this.body),
  );

  constructor(private readonly onSelect: (index: number) => void) {}

  show(entries: CompressionEntry[], selected: number): void {
    replace(
      this.body,
      ...entries.map((e, i) => {
        const cells = [
          e.name,
          e.step === null ? '–' : String(e.step),
          e.mode === 'excp' ? 'ExCP' : 'lossless',
          formatBytes(e.origBytes),
          formatBytes(e.compressedBytes),
          formatRatio(e.ratio),
          formatPercent(e.keptW, 2),
          formatPercent(e.keptM, 2),
          formatNumber(e.relErrW),
          formatNumber(e.updateRelErr),
        ];
        const tr = h('tr', { testid: 'compression-entry-row', attrs: { tabindex: '0', 'aria-selected': String(i === selected) } }, ...cells.map((c, j) => h('td', { class: j < 3 ? 'text' : '' }, c)));
        tr.dataset.index = String(i);
        const select = () => {
          for (const other of this.body.querySelectorAll('tr[aria-selected="true"]')) other.setAttribute('aria-selected', 'false');
          tr.setAttribute('aria-selected', 'true');
          this.onSelect(i);
        };
        tr.addEventListener('click', select);
        tr.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            select();
          }
        });
        return tr;
      }),
    );
  }
}
