// Entry of a CPU kernel worker thread: runs jobs (jobs.ts) on ranges of a shared tensor.
// From source it runs under tsx (the worker inherits --import tsx); a bundled host builds this file
// as its own entry and passes its path as CpuBackendOptions.workerScript.
import { parentPort } from 'node:worker_threads';
import { runJob, tensorOf, type JobRequest } from './jobs.ts';

const port = parentPort;
if (!port) throw new Error('kernelWorker.ts must run as a worker thread');
port.on('message', (req: JobRequest) => {
  try {
    port.postMessage({ id: req.id, result: runJob(tensorOf(req.tensor), req.start, req.end, req.job) });
  } catch (e) {
    port.postMessage({ id: req.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
