// The webview bundles in headless Chromium (Debian's chromium through playwright-core), each view
// served with the host's own HTML and CSP and driven by its real host controller over a stand-in
// language server that answers from the real analysis of the tiny-llama fixtures. Screenshots go
// to test-artifacts/webview/. Without Chromium the tests skip (fail with CKPT_LENS_REQUIRE_ALL=1).
import { after, before, describe } from 'node:test';
import { Env } from './harness/env.ts';
import { removeArchives } from './harness/fixtureArchives.ts';
import { compressionTests } from './suites/compression.ts';
import { histogramTests } from './suites/histograms.ts';
import { outlierTests } from './suites/outliers.ts';
import { pruningTests } from './suites/pruning.ts';
import { reportTests } from './suites/report.ts';
import { zeroPointTests } from './suites/zeroPoint.ts';

const env = new Env();
before(() => env.setUp());
after(async () => {
  await env.tearDown();
  await removeArchives();
});

describe('checkpoint report', () => reportTests(env));
describe('moment histograms', () => histogramTests(env));
describe('zero-point effect', () => zeroPointTests(env));
describe('pruning explorer', () => pruningTests(env));
describe('outliers', () => outlierTests(env));
describe('compression report', () => compressionTests(env));
