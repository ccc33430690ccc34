// Markdown pieces for hovers: escaping of untrusted text (tensor names and metadata come from files
// anyone may have written), compact numbers, and a text sparkline of a histogram.

/** CommonMark lets any ASCII punctuation be backslash-escaped; escaping all of it leaves no syntax alive. */
const MARKDOWN_PUNCTUATION = /[!-/:-@[-`{-~]/g;
// Control characters and line breaks would break the hover's layout (or hide text): shown as U+FFFD.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Text that renders literally in Markdown: no links, emphasis, HTML, tables or line breaks. */
export function escapeMarkdown(text: string, maxLength = 300): string {
  const clipped = text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
  return clipped.replace(CONTROL, '\uFFFD').replace(MARKDOWN_PUNCTUATION, (c) => `\\${c}`);
}

/** Four significant digits; exponent notation outside [1e-3, 1e5). Stable: tests format expected values with it. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+inf' : '-inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(3).replace('e+', 'e');
  return String(Number(x.toPrecision(4)));
}

export function formatPercent(fraction: number, digits = 2): string {
  return `${(100 * fraction).toFixed(digits)}%`;
}

const LEVELS = '▁▂▃▄▅▆▇█';

/**
 * One character per column: counts summed into `width` columns, heights relative to the tallest column
 * (a column with no values is a space, so empty tails stay visible).
 */
export function sparkline(counts: readonly number[], width = 32): string {
  if (counts.length === 0) return '';
  const columns = Math.min(width, counts.length);
  const sums = new Array<number>(columns).fill(0);
  counts.forEach((c, i) => (sums[Math.floor((i * columns) / counts.length)]! += c));
  const top = Math.max(...sums);
  if (!(top > 0)) return ' '.repeat(columns);
  // Eighths of the tallest column: (0, 1/8] is the lowest block, (7/8, 1] the full one.
  return sums.map((s) => (s > 0 ? LEVELS[Math.max(0, Math.ceil((s / top) * LEVELS.length) - 1)]! : ' ')).join('');
}

/** A `command:` link whose arguments are JSON, URI-encoded as VS Code expects. */
export function commandLink(label: string, command: string, args: unknown): string {
  // encodeURIComponent leaves ( ) ' ! * alone; a ')' from a tensor name would end the link early.
  const encoded = encodeURIComponent(JSON.stringify([args])).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `[${escapeMarkdown(label)}](command:${command}?${encoded})`;
}
