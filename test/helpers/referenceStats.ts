// PyTorch's reference numbers (test/fixtures/reference/*.json) and the one way tests compare ours with them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The per-tensor statistics of ALGORITHMS.md (std is the population std). */
export interface TensorStats {
  numel: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  absmax: number;
  zeros: number;
}

export interface ReferenceTensor {
  weight: TensorStats;
  exp_avg: TensorStats;
  exp_avg_sq: TensorStats;
}

/** One reference file; only the fields tests read so far are typed. */
export interface Reference {
  ckpt: string;
  tensors: Record<string, ReferenceTensor>;
}

/** `name` is the file stem, e.g. 'tiny-llama-checkpoint-200'. */
export function loadReference(name: string): Reference {
  return JSON.parse(readFileSync(join('test/fixtures/reference', `${name}.json`), 'utf8')) as Reference;
}

/** Float64 accumulation over the float32 values, as the reference was computed. */
export function tensorStats(x: Float32Array): TensorStats {
  let sum = 0, min = Infinity, max = -Infinity, zeros = 0;
  for (const v of x) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
  }
  const mean = sum / x.length;
  let sq = 0;
  for (const v of x) sq += (v - mean) ** 2;
  return { numel: x.length, mean, std: Math.sqrt(sq / x.length), min, max, absmax: Math.max(-min, max), zeros };
}

/**
 * Counts and extremes exactly (float32 values, exact in float64); mean and std to 1e-6 relative.
 * The mean of a zero-centred tensor is a small difference of large sums, so a std-scaled bound
 * would be the safe one; but both sides accumulate in float64 and agree on the fixtures to about
 * 2e-16 of the mean itself, so the stricter bound on the mean's own magnitude is kept.
 */
export function assertStatsEqual(actual: TensorStats, expected: TensorStats, what: string): void {
  for (const k of ['numel', 'zeros', 'min', 'max', 'absmax'] as const) assert.equal(actual[k], expected[k], `${what} ${k}`);
  for (const k of ['mean', 'std'] as const) {
    const [a, e] = [actual[k], expected[k]];
    assert.ok(Math.abs(a - e) <= 1e-6 * Math.abs(e), `${what} ${k}: got ${a}, PyTorch ${e}`);
  }
}
