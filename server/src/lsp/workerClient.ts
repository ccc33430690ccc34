// The main thread's side of the analysis worker: starts it on first use, sends jobs, routes progress and
// results back, cancels. If the worker dies (a crash in a native addon, out of memory) every pending job
// fails with a clear error and the next job starts a fresh worker: the server itself goes on.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../../../kernels/src/index.ts';
import type { FromWorker, Job, JobResults, WorkerError } from './workerProtocol.ts';

/** A job failure as the worker reported it (FormatError, AbortError, ...). */
export class WorkerJobError extends Error {
  constructor(readonly info: WorkerError) {
    super(info.message);
    this.name = info.name;
  }

  get file(): string | undefined {
    return this.info.file;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
  progress(done: number, total: number, item: string): void;
}

export interface WorkerEvents {
  backend(info: { choice: BackendChoice; kind: 'cpu' | 'webgpu'; description: string }): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

type WorkerEntry = { file: string } | { code: string };

/** dist/analysisWorker.js beside the bundle; from source, the .ts file through tsx's CommonJS hook. */
function workerEntry(): WorkerEntry {
  const bundled = join(__dirname, 'analysisWorker.js');
  if (existsSync(bundled)) return { file: bundled };
  const source = join(__dirname, 'analysisWorker.ts');
  let tsx: string;
  try {
    tsx = require.resolve('tsx/cjs');
  } catch {
    throw new Error(`no analysis worker: neither ${bundled} nor tsx (to run ${source}) is available`);
  }
  return { code: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(source)});` };
}

export class AnalysisWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly events: WorkerEvents) {}

  run<K extends Job['kind']>(
    job: Extract<Job, { kind: K }>,
    backend: BackendChoice,
    signal: AbortSignal,
    onProgress: (done: number, total: number, item: string) => void = () => {},
  ): Promise<JobResults[K]> {
    if (signal.aborted) return Promise.reject(abortError());
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise<JobResults[K]>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'cancel', id });
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => (signal.removeEventListener('abort', onAbort), resolve(v as JobResults[K])),
        reject: (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
        progress: onProgress,
      });
      worker.postMessage({ type: 'run', id, backend, job });
    });
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const entry = workerEntry();
    const w = 'file' in entry ? new Worker(entry.file, { name: 'ckpt-lens analysis' }) : new Worker(entry.code, { name: 'ckpt-lens analysis', eval: true });
    w.on('message', (m: FromWorker) => this.receive(m));
    w.on('error', (e) => this.fail(w, `the analysis worker failed: ${e.message}`));
    w.on('exit', (code) => this.fail(w, `the analysis worker exited (code ${code})`));
    // An idle worker must not keep the process alive after the connection closes.
    w.unref();
    this.worker = w;
    return w;
  }

  private receive(m: FromWorker): void {
    switch (m.type) {
      case 'backend':
        this.events.backend(m);
        return;
      case 'log':
        this.events.log(m.level, m.message);
        return;
      case 'progress':
        this.pending.get(m.id)?.progress(m.done, m.total, m.item);
        return;
      case 'result':
      case 'error': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.type === 'result') p.resolve(m.value);
        else p.reject(new WorkerJobError(m.error));
      }
    }
  }

  private fail(w: Worker, message: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.events.log('error', message);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new WorkerJobError({ name: 'WorkerError', message }));
  }
}

export function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}
