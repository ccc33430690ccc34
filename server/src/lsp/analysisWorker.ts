// The analysis worker thread (bundled to dist/analysisWorker.js): every kernel call and tensor read of
// the language server happens here, so the main thread stays free for hovers. Jobs run concurrently on
// this thread's event loop (they interleave between tensors); each has its own AbortController.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { createBackend, type BackendChoice, type CreatedBackend } from '../../../kernels/src/index.ts';
import type { FromWorker, Job, ToWorker, WorkerError } from './workerProtocol.ts';
import { runAnalyzeJob, runHistogramJob, runPruneJob, runStructuredScoresJob } from './workerJobs.ts';
import { runCompressJob, runRestoreJob, runVerifyJob } from './compressionJobs.ts';

const port = parentPort;
if (!port) throw new Error('analysisWorker.ts runs as a worker thread only');

function post(m: FromWorker): void {
  port!.postMessage(m);
}

/** The CPU kernels' own worker sits beside this bundle (dist/kernelWorker.js); from source the kernels find theirs. */
function kernelWorkerScript(): string | undefined {
  const p = join(__dirname, 'kernelWorker.js');
  return existsSync(p) ? p : undefined;
}

const backends = new Map<BackendChoice, Promise<CreatedBackend & { choice: BackendChoice }>>();

function backendFor(choice: BackendChoice): Promise<CreatedBackend & { choice: BackendChoice }> {
  let b = backends.get(choice);
  if (!b) {
    b = createBackend({
      backend: choice,
      cpuWorkerScript: kernelWorkerScript(),
      log: { info: (message) => post({ type: 'log', level: 'info', message }), warn: (message) => post({ type: 'log', level: 'warn', message }) },
    }).then((created) => {
      post({ type: 'backend', choice, kind: created.backend.kind, description: created.description });
      return { ...created, choice };
    });
    // A failed open (no GPU for `webgpu`) is retried on the next job, not remembered.
    b.catch(() => backends.delete(choice));
    backends.set(choice, b);
  }
  return b;
}

const running = new Map<number, AbortController>();

async function run(id: number, choice: BackendChoice, job: Job, signal: AbortSignal): Promise<unknown> {
  let last = 0;
  const progress = (done: number, total: number, item: string) => {
    // At most one message per percent (and per tensor), so a model with thousands of tensors stays cheap.
    const pct = total > 0 ? Math.floor((100 * done) / total) : 0;
    if (pct === last && item === '') return;
    last = pct;
    post({ type: 'progress', id, done, total, item });
  };
  switch (job.kind) {
    case 'warmup':
      await backendFor(choice);
      return null;
    case 'analyze':
      return runAnalyzeJob(await backendFor(choice), job, signal, progress);
    case 'histogram':
      return runHistogramJob((await backendFor(choice)).backend, job, signal);
    case 'prune':
      return runPruneJob(job, signal);
    case 'structuredScores':
      return runStructuredScoresJob(job, signal);
    case 'compress':
      return runCompressJob((await backendFor(choice)).backend, job, signal, progress);
    case 'restore':
      return runRestoreJob(job, signal, progress);
    case 'verify':
      return runVerifyJob(job, signal, progress);
  }
}

function asWorkerError(e: unknown): WorkerError {
  if (e instanceof Error) {
    const file = (e as { file?: unknown }).file;
    return { name: e.name, message: e.message, ...(typeof file === 'string' ? { file } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') {
    running.get(m.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(m.id, controller);
  run(m.id, m.backend, m.job, controller.signal)
    .then((value) => post({ type: 'result', id: m.id, value }))
    .catch((e: unknown) => post({ type: 'error', id: m.id, error: controller.signal.aborted ? { name: 'AbortError', message: 'cancelled' } : asWorkerError(e) }))
    .finally(() => running.delete(m.id));
});
