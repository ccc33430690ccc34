// The CPU kernels as jobs over an element range, for worker threads. A job's result combines
// exactly with the results of the other ranges (merged moments, added counts), so a tensor cut
// into ranges gives the answer of the whole.
import { histogramTables, type HistogramSpec } from '../histogram.ts';
import type { RadixPass } from '../select.ts';
import type { StatsPartial } from '../stats.ts';
import type { KernelDType, TensorData } from '../types.ts';
import { countPatterns } from './halfPatterns.ts';
import { cpuHistogramIntervals } from './histogram.ts';
import { cpuRadixCount } from './select.ts';
import { cpuStats } from './stats.ts';

export type Job =
  | { kind: 'stats' }
  | { kind: 'histogram'; spec: HistogramSpec }
  | { kind: 'radix'; pass: RadixPass }
  | { kind: 'patterns' };

export type JobResult = StatsPartial | Float64Array;

/** A tensor on shared memory, as posted to a worker (typed arrays are rebuilt there). */
export interface SharedTensor {
  dtype: KernelDType;
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
}

export interface JobRequest {
  id: number;
  tensor: SharedTensor;
  start: number;
  end: number;
  job: Job;
}

export function tensorOf(s: SharedTensor): TensorData {
  return s.dtype === 'F32'
    ? { dtype: 'F32', data: new Float32Array(s.buffer, s.byteOffset, s.length) }
    : { dtype: s.dtype, data: new Uint16Array(s.buffer, s.byteOffset, s.length) };
}

/** Runs one job on elements [start, end) of x. */
export function runJob(x: TensorData, start: number, end: number, job: Job): JobResult {
  switch (job.kind) {
    case 'stats':
      return cpuStats(x, start, end);
    case 'histogram':
      return cpuHistogramIntervals(x, histogramTables(job.spec), start, end);
    case 'radix':
      return cpuRadixCount(x, job.pass, start, end);
    case 'patterns':
      if (x.dtype === 'F32') throw new TypeError('pattern counts need 16-bit data');
      return countPatterns(x.data, start, end);
  }
}
