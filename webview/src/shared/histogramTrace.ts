// A histogram as a Plotly step line: bins from their edges, log10|x| edges drawn on a log axis in
// the values' own units.
import type { HistogramData } from '../protocol.ts';
import type { Axis, Trace } from './charts.ts';
import { formatCount } from './format.ts';

/** `filled: false` draws the outline only, so several overlaid distributions stay visible. */
export function histogramTrace(h: HistogramData, name: string, filled = true): Trace {
  const n = h.counts.length;
  const log = h.scale === 'log10abs';
  const x = new Float64Array(n + 1);
  const y = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) {
    x[i] = log ? 10 ** h.edges[i]! : h.edges[i]!;
    // The last edge closes the last bin at its height.
    y[i] = h.counts[Math.min(i, n - 1)]!;
  }
  return { type: 'scatter', mode: 'lines', name, x, y, line: { shape: 'hv', ...(filled ? {} : { width: 2 }) }, fill: filled ? 'tozeroy' : 'none' };
}

export function histogramXAxis(h: HistogramData | undefined, title: string): Axis {
  return h?.scale === 'log10abs' ? { type: 'log', title: { text: `|${title}| (log)` }, exponentformat: 'power' } : { type: 'linear', title: { text: title } };
}

/** What the bins do not show: exact zeros (no log), values outside the range, NaN. */
export function histogramNote(h: HistogramData): string {
  const parts = [`${formatCount(h.total)} values`];
  if (h.zeros) parts.push(`${formatCount(h.zeros)} exact zeros`);
  if (h.below) parts.push(`${formatCount(h.below)} below range`);
  if (h.above) parts.push(`${formatCount(h.above)} above range`);
  if (h.nan) parts.push(`${formatCount(h.nan)} NaN`);
  return parts.join(' · ');
}
