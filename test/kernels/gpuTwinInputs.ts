// Shapes and comparisons shared by the GPU-twin tests of kernels 6-8 (profiles, N:M, ExCP).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TensorData } from '../../kernels/src/types.ts';
import { kernelFixture } from './gpuEnv.ts';

/**
 * 2-D shapes for a tensor of n elements: the vector, 1 x n, and rows x cols for a small and a
 * large divisor (so odd widths like 3, 7 or 13 columns, and rows longer than a work piece, occur).
 */
export function shapesFor(n: number): number[][] {
  const out: number[][] = [[n], [1, n]];
  if (n < 2) return out;
  const divisors: number[] = [];
  for (let d = 2; d * d <= n; d++) if (n % d === 0) divisors.push(d);
  if (divisors.length > 0) {
    const small = divisors[0]!;
    const mid = divisors[divisors.length - 1]!;
    out.push([n / small, small], [small, n / small]);
    if (mid !== small) out.push([n / mid, mid]);
  }
  return out;
}

/** The fixture tensors (weights in F32, BF16, F16 and both moments) with their 2-D shape. */
export function fixtureWithShapes(): { name: string; x: TensorData; shape: number[] }[] {
  const json = JSON.parse(readFileSync(resolve('test/fixtures/kernels/tiny-llama-200-up_proj.json'), 'utf8')) as { tensors: Record<string, { shape: number[] }> };
  return Object.entries(kernelFixture()).map(([name, f]) => ({ name, x: f.x, shape: json.tensors[name]!.shape }));
}

/** a equals b within rel * |b| (NaN matches NaN, infinities must be equal). */
export function assertClose(a: number, b: number, rel: number, what: string): void {
  if (Number.isNaN(b) || !Number.isFinite(b)) {
    assert.ok(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)), `${what}: ${a} vs ${b}`);
    return;
  }
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b} (relative ${Math.abs(a - b) / Math.abs(b)})`);
}

/** Largest relative difference seen by assertAllClose, per label, to report the measured margins. */
export const worst = new Map<string, number>();

export function assertAllClose(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, what: string, label = what): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) {
    assertClose(a[i]!, b[i]!, rel, `${what}[${i}]`);
    if (Number.isFinite(b[i]!) && b[i] !== 0) {
      const d = Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!);
      if (d > (worst.get(label) ?? 0)) {
        worst.set(label, d);
        if (process.env.WORST_DEBUG) console.log(`# worst ${label} so far: ${d} at ${what}[${i}]`);
      }
    }
  }
}

/** Bit-equal float32 arrays (NaN payloads and signed zeros included). */
export function assertSameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}[${i}]: bits ${ua[i]!.toString(16)} vs ${ub[i]!.toString(16)} (${a[i]} vs ${b[i]})`);
  }
}
