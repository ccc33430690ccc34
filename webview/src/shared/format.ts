// Number formatting for tables, totals and chart labels.

export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

export function formatPercent(x: number | null, digits = 1): string {
  return x === null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)} %`;
}

/** Four significant digits, exponent notation outside [1e-3, 1e5). */
export function formatNumber(x: number | null): string {
  if (x === null || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(4))) : x.toExponential(3);
}

// One byte formatter for the CLI and the webviews (it is pure, so it bundles for the browser).
export { formatBytes } from '../../../server/src/cli/format.ts';

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
