// Plotly (the strict bundle, loaded as its own script before the view's) with the theme applied.
// Charts are remembered so a theme change redraws them in the new colours.
import { chartTheme, onThemeChange, type ChartTheme } from './theme.ts';

/** The subset of Plotly's trace attributes the views use. */
export type Trace = XYTrace | HeatmapTrace;

export interface XYTrace {
  type: 'bar' | 'scatter';
  name?: string;
  x: ArrayLike<number | string>;
  y: ArrayLike<number>;
  mode?: 'lines' | 'markers' | 'lines+markers';
  line?: { shape?: 'linear' | 'hv'; width?: number; color?: string; dash?: string };
  marker?: { color?: string | string[]; line?: { color?: string; width?: number } };
  fill?: 'none' | 'tozeroy';
  opacity?: number;
  yaxis?: 'y' | 'y2';
  hovertemplate?: string;
  customdata?: ArrayLike<string | number>;
  xaxis?: 'x' | 'x2';
}

/** A heat-strip: one row of cells (`z` has one row per strip), coloured on [zmin, zmax]. */
export interface HeatmapTrace {
  type: 'heatmap';
  name?: string;
  z: ArrayLike<number>[];
  x?: ArrayLike<number>;
  y?: string[];
  zmin: number;
  zmax: number;
  /** [position 0..1, colour] stops; the themed chart fills them from the theme when absent */
  colorscale?: Array<[number, string]>;
  showscale?: boolean;
  colorbar?: { title?: { text: string }; thickness?: number; len?: number };
  hovertemplate?: string;
  yaxis?: 'y' | 'y2';
  xaxis?: 'x' | 'x2';
}

export interface Axis {
  title?: { text: string };
  type?: 'linear' | 'log' | 'category';
  range?: [number, number];
  tickformat?: string;
  overlaying?: 'y';
  side?: 'left' | 'right';
  automargin?: boolean;
  exponentformat?: 'power' | 'e' | 'none';
  rangemode?: 'normal' | 'tozero';
  showticklabels?: boolean;
  fixedrange?: boolean;
}

export interface Layout {
  title?: { text: string };
  xaxis?: Axis;
  yaxis?: Axis;
  yaxis2?: Axis;
  barmode?: 'group' | 'overlay';
  showlegend?: boolean;
  height?: number;
}

interface PlotlyApi {
  react(el: HTMLElement, data: object[], layout: object, config: object): Promise<unknown>;
}

declare global {
  interface Window {
    Plotly?: PlotlyApi;
  }
}

const drawn = new Map<HTMLElement, { traces: Trace[]; layout: Layout }>();
let watching = false;

function themedAxis(axis: Axis | undefined, t: ChartTheme): object {
  return { gridcolor: t.grid, linecolor: t.grid, zerolinecolor: t.grid, tickfont: { color: t.foreground }, automargin: true, ...axis, title: axis?.title && { ...axis.title, font: { color: t.foreground } } };
}

/** Cool for typical values, the theme's warning colours towards zmax (heat-strips saturate there). */
function heatColorscale(t: ChartTheme): Array<[number, string]> {
  return [
    [0, t.palette[0]!],
    [0.5, t.palette[5]!],
    [1, t.palette[3]!],
  ];
}

function themedHeatmap(tr: HeatmapTrace, t: ChartTheme): object {
  const font = { color: t.foreground };
  return { colorscale: heatColorscale(t), ...tr, colorbar: { ...tr.colorbar, tickfont: font, title: tr.colorbar?.title && { ...tr.colorbar.title, font } } };
}

function themed(traces: Trace[], layout: Layout, t: ChartTheme): { data: object[]; layout: object } {
  const data = traces.map((tr, i) => {
    if (tr.type === 'heatmap') return themedHeatmap(tr, t);
    const color = t.palette[i % t.palette.length]!;
    const width = t.highContrast ? 2.5 : 1.5;
    return tr.type === 'bar'
      ? { ...tr, marker: { color, ...tr.marker, line: t.highContrast ? { color: t.foreground, width: 1 } : tr.marker?.line } }
      : { ...tr, line: { color, ...tr.line, width: Math.max(width, tr.line?.width ?? 0) } };
  });
  return {
    data,
    layout: {
      ...layout,
      title: layout.title && { ...layout.title, font: { color: t.foreground, size: t.fontSize + 1 } },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: t.font, size: t.fontSize - 1, color: t.foreground },
      margin: { t: (layout.title ? 36 : 12) + (layout.showlegend ? 24 : 0), r: 12, b: 40, l: 56 },
      legend: { font: { color: t.foreground }, orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
      xaxis: themedAxis(layout.xaxis, t),
      yaxis: themedAxis(layout.yaxis, t),
      ...(layout.yaxis2 ? { yaxis2: themedAxis(layout.yaxis2, t) } : {}),
    },
  };
}

const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['toImage', 'lasso2d', 'select2d'] };

/** Draws (or redraws in place) a chart; fails loudly if the Plotly script did not load. */
export function drawChart(el: HTMLElement, traces: Trace[], layout: Layout): void {
  const plotly = window.Plotly;
  if (!plotly) throw new Error('Plotly did not load (dist/webview/plotly-strict.min.js)');
  drawn.set(el, { traces, layout });
  if (!watching) {
    watching = true;
    onThemeChange(() => {
      for (const [e, c] of drawn) if (e.isConnected) void draw(e, c.traces, c.layout);
    });
  }
  void draw(el, traces, layout);
}

function draw(el: HTMLElement, traces: Trace[], layout: Layout): Promise<unknown> {
  const { data, layout: l } = themed(traces, layout, chartTheme());
  return window.Plotly!.react(el, data, l, CONFIG);
}
