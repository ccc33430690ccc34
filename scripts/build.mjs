// One esbuild script, one context per target. `--watch` rebuilds on change,
// `--production` minifies and drops sourcemaps. The type check is `tsc --noEmit` (npm run typecheck).
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
  define: { __VERSION__: JSON.stringify(pkg.version) },
};

const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Dawn's native addon is loaded at run time from node_modules, never bundled.
  external: ['vscode', 'webgpu'],
  loader: { '.wgsl': 'text' },
};

/** @type {import('esbuild').Plugin} */
const copyPlotly = {
  name: 'copy-plotly',
  setup(build) {
    build.onEnd(() => {
      mkdirSync('dist/webview', { recursive: true });
      copyFileSync('node_modules/plotly.js-strict-dist-min/plotly-strict.min.js', 'dist/webview/plotly-strict.min.js');
    });
  },
};

/** @type {Record<string, import('esbuild').BuildOptions>} */
const targets = {
  client: { ...node, entryPoints: { client: 'client/src/extension.ts' }, outdir: 'dist' },
  server: { ...node, entryPoints: { server: 'server/src/server.ts', analysisWorker: 'server/src/lsp/analysisWorker.ts' }, outdir: 'dist' },
  // The CPU kernels' worker thread is its own bundle, loaded by path beside cli.js / server.js.
  cli: { ...node, entryPoints: { cli: 'server/src/cli.ts', kernelWorker: 'kernels/src/cpu/kernelWorker.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  // One IIFE (and its CSS) per view under dist/webview/, the only folder the panels may load from;
  // plotly's strict bundle (no eval) is copied beside them and loaded as its own script.
  webview: {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    entryPoints: {
      'webview/report': 'webview/src/report/main.ts',
      'webview/histograms': 'webview/src/histograms/main.ts',
      'webview/zeroPoint': 'webview/src/zeroPoint/main.ts',
      'webview/pruning': 'webview/src/pruning/main.ts',
      'webview/outliers': 'webview/src/outliers/main.ts',
      'webview/compression': 'webview/src/compression/main.ts',
    },
    outdir: 'dist',
    plugins: [copyPlotly],
  },
};

mkdirSync('dist', { recursive: true });
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const selected = Object.entries(targets).filter(([name, opts]) => {
  if (only && !only.includes(name)) return false;
  // Targets whose entry does not exist yet are skipped (the skeleton grows issue by issue).
  return Object.values(opts.entryPoints).every((p) => existsSync(p));
});

const contexts = await Promise.all(selected.map(([, opts]) => esbuild.context(opts)));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`[watch] building ${selected.map(([n]) => n).join(', ')}`);
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
