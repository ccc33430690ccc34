// Long jobs shared by everyone who asks for the same result. A job runs once per key; each request that
// needs it subscribes with its cancellation token and (optionally) a work-done progress reporter. A
// request that is cancelled stops waiting at once; the job itself is aborted when its last subscriber
// leaves (a hover's background request never leaves, so the statistics it started are still computed).
import type { CancellationToken, WorkDoneProgressReporter } from 'vscode-languageserver';
import { abortError } from './workerClient.ts';

export interface Subscriber {
  token?: CancellationToken;
  progress?: WorkDoneProgressReporter;
}

export type ProgressSink = (done: number, total: number, item: string) => void;

interface Job<T> {
  title: string;
  controller: AbortController;
  promise: Promise<T>;
  subscribers: Set<Subscriber>;
  /** last report, replayed to late subscribers */
  last: { percentage: number; message: string } | null;
}

function percentOf(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
}

export class JobRunner {
  private readonly jobs = new Map<string, Job<unknown>>();

  /** Jobs running now (for tests and the log). */
  get size(): number {
    return this.jobs.size;
  }

  run<T>(key: string, title: string, start: (signal: AbortSignal, progress: ProgressSink) => Promise<T>, sub: Subscriber = {}): Promise<T> {
    let job = this.jobs.get(key) as Job<T> | undefined;
    if (!job) job = this.start(key, title, start);
    return this.subscribe(job, sub);
  }

  private start<T>(key: string, title: string, start: (signal: AbortSignal, progress: ProgressSink) => Promise<T>): Job<T> {
    const controller = new AbortController();
    const job: Job<T> = { title, controller, promise: undefined as unknown as Promise<T>, subscribers: new Set(), last: null };
    const progress: ProgressSink = (done, total, item) => {
      job.last = { percentage: percentOf(done, total), message: item };
      for (const s of job.subscribers) s.progress?.report(job.last.percentage, item);
    };
    job.promise = Promise.resolve()
      .then(() => start(controller.signal, progress))
      .finally(() => {
        if (this.jobs.get(key) === job) this.jobs.delete(key);
      });
    // Subscribers see the outcome through their own promises; this one only must not go unhandled.
    job.promise.catch(() => {});
    this.jobs.set(key, job as Job<unknown>);
    return job;
  }

  private subscribe<T>(job: Job<T>, sub: Subscriber): Promise<T> {
    if (sub.token?.isCancellationRequested) return Promise.reject(abortError());
    job.subscribers.add(sub);
    sub.progress?.begin(job.title, job.last?.percentage ?? 0, job.last?.message, true);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const leave = () => {
        job.subscribers.delete(sub);
        sub.progress?.done();
        cancel?.dispose();
      };
      const cancel = sub.token?.onCancellationRequested(() => {
        if (settled) return;
        settled = true;
        leave();
        if (job.subscribers.size === 0) job.controller.abort();
        reject(abortError());
      });
      job.promise.then(
        (v) => {
          if (settled) return;
          settled = true;
          leave();
          resolve(v);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          leave();
          reject(e);
        },
      );
    });
  }
}
