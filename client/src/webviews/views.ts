// The four webview panels: their VS Code view types, titles and bundles (dist/webview/<bundle>.js/.css).
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
};

/** The read-only custom editor for .safetensors and .ckpz files (package.json contributes it). */
export const REPORT_EDITOR_VIEW_TYPE = 'checkpointLens.report';

/** Where the bundles are, relative to the extension root: the panels' only local resource root. */
export const WEBVIEW_DIST = ['dist', 'webview'] as const;
export const PLOTLY_BUNDLE = 'plotly-strict.min.js';
