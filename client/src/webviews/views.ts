// The webview panels: their VS Code view types, titles and bundles (dist/webview/<bundle>.js/.css).
import type { ViewKind } from '../../../webview/src/protocol.ts';

export interface ViewInfo {
  /** the webview panel's view type (its serializer restores panels of this type) */
  viewType: string;
  title: string;
  bundle: string;
}

export const VIEWS: Record<ViewKind, ViewInfo> = {
  report: { viewType: 'checkpointLens.reportPanel', title: 'Checkpoint Report', bundle: 'report' },
  histograms: { viewType: 'checkpointLens.histograms', title: 'Moment Histograms', bundle: 'histograms' },
  zeroPoint: { viewType: 'checkpointLens.zeroPoint', title: 'Zero-Point Effect', bundle: 'zeroPoint' },
  pruning: { viewType: 'checkpointLens.pruningExplorer', title: 'Pruning Explorer', bundle: 'pruning' },
  outliers: { viewType: 'checkpointLens.outliers', title: 'Outliers', bundle: 'outliers' },
  compression: { viewType: 'checkpointLens.compressionReport', title: 'Compression Report', bundle: 'compression' },
};

/** The read-only custom editor for .safetensors and .ckpz files (package.json contributes it). */
export const REPORT_EDITOR_VIEW_TYPE = 'checkpointLens.report';

/** A .ckpz archive: the custom editor shows its compression report, not a checkpoint report. */
export function isArchive(path: string): boolean {
  return path.toLowerCase().endsWith('.ckpz');
}

/** Where the bundles are, relative to the extension root: the panels' only local resource root. */
export const WEBVIEW_DIST = ['dist', 'webview'] as const;
export const PLOTLY_BUNDLE = 'plotly-strict.min.js';
