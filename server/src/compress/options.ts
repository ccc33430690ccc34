// Compression parameters, their defaults (ALGORITHMS.md §1) and the progress callback every job takes.
import type { ExcpParams } from './excpTensor.ts';

export type CompressMode = 'excp' | 'lossless';

export const DEFAULT_EXCP: ExcpParams = { alpha: 5e-5, beta: 2.0, bits: 4, bitsMoments: 4, paperExact: false };

export interface Progress {
  /** fraction done in [0, 1] and what is being worked on */
  (done: number, message: string): void;
}

export const noProgress: Progress = () => {};
