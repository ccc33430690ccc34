// A few worker threads for the CPU kernels, over shared memory. Threads are unreferenced while
// idle, so an idle pool never keeps the process alive.
import { Worker } from 'node:worker_threads';
import type { Job, JobRequest, JobResult, SharedTensor } from './jobs.ts';

/** A worker's script: a file, or code to evaluate (used to bootstrap tsx from source). */
export type WorkerEntry = { file: string } | { code: string };

interface Pending {
  resolve(r: JobResult): void;
  reject(e: Error): void;
}

export class WorkerPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private broken: Error | null = null;
  private closing = false;

  constructor(size: number, entry: WorkerEntry) {
    this.workers = Array.from({ length: size }, (_, i) => {
      const name = `ckpt-lens kernels ${i + 1}`;
      const w = 'file' in entry ? new Worker(entry.file, { name }) : new Worker(entry.code, { name, eval: true });
      w.on('message', (m: { id: number; result?: JobResult; error?: string }) => this.settle(m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => this.closing || this.fail(new Error(`kernel worker exited with code ${code}`)));
      w.unref();
      return w;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs `job` on [start, end) of the shared tensor in worker `index`. */
  run(index: number, tensor: SharedTensor, start: number, end: number, job: Job): Promise<JobResult> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    const req: JobRequest = { id, tensor, start, end, job };
    return new Promise<JobResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) for (const w of this.workers) w.ref();
      this.workers[index % this.workers.length]!.postMessage(req);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    // Referenced again so that the process waits for the exits being awaited here.
    await Promise.all(this.workers.map((w) => (w.ref(), w.terminate())));
  }

  private settle(m: { id: number; result?: JobResult; error?: string }): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) for (const w of this.workers) w.unref();
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.result!);
  }

  private fail(e: Error): void {
    this.broken = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const w of this.workers) w.unref();
  }
}
