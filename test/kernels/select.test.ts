// Kernel 3, k-th smallest |x| by radix selection: the CPU path against torch.kthvalue /
// torch.median (fixture) and a sort done here; the GPU path equal to the CPU path.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cpuSelect } from '../../kernels/src/cpu/select.ts';
import { bitsToF32, halfBitsTable } from '../../kernels/src/floatBits.ts';
import { lowerMedianRank, radixDigits, type SelectResult } from '../../kernels/src/select.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { closeGpus, edgeCases, f32, gpuOrSkip, kernelFixture, normal, RESIDENCY_LAYOUTS, rng } from './gpuEnv.ts';

after(closeGpus);

/** Keys of |x| (float32 bits without the sign) in ascending order: the order of |x|, NaN last. */
function sortedKeys(x: TensorData): Uint32Array {
  const bits = x.dtype === 'F32' ? new Uint32Array(x.data.buffer, x.data.byteOffset, x.data.length) : x.dtype === 'BF16' ? Uint32Array.from(x.data, (h) => h << 16) : Uint32Array.from(x.data, (h) => halfBitsTable()[h]!);
  return Uint32Array.from(bits, (b) => b & 0x7fffffff).sort();
}

/** The answer by sorting; "equal" counts bit-equal magnitudes (±0 alike, NaN payloads apart). */
function expected(keys: Uint32Array, k: number): SelectResult {
  const key = keys[k]!;
  let below = 0;
  let equal = 0;
  for (const a of keys) {
    if (a < key) below++;
    else if (a === key) equal++;
  }
  return { value: bitsToF32(key), k, numel: keys.length, below, equal };
}

/** Ranks worth checking: both ends, the lower median, and a few random ones. */
function ranks(n: number, seed: number): number[] {
  const r = rng(seed);
  const out = new Set([0, 1, n >> 2, lowerMedianRank(n), n - 2, n - 1, Math.floor(r() * n), Math.floor(r() * n)]);
  return [...out].filter((k) => k >= 0 && k < n);
}

describe('CPU selection', () => {
  test('equals torch.kthvalue and torch.median of |x| on the fixture', async () => {
    for (const [name, f] of Object.entries(kernelFixture())) {
      for (const ref of f.kth) {
        const r = await cpuSelect(f.x, ref.k);
        assert.deepEqual([r.value, r.below, r.equal], [ref.value, ref.below, ref.equal], `${name} k=${ref.k}`);
      }
      const median = await cpuSelect(f.x, lowerMedianRank(f.x.data.length));
      assert.equal(median.value, f.median, `${name} median`);
    }
  });

  test('equals a sort on the edge cases (ties, zeros of both signs, NaN ranked last)', async () => {
    for (const { name, x } of edgeCases()) {
      const keys = sortedKeys(x);
      for (const k of ranks(keys.length, 5)) assert.deepEqual(await cpuSelect(x, k), expected(keys, k), `${name} k=${k}`);
    }
  });

  test('counts ties: the threshold of magnitude pruning at a ratio', async () => {
    const x = f32([0.5, -0.5, 0.25, 0, -0, 0.5, 1, NaN]);
    const r = await cpuSelect(x, 3); // |x| sorted: 0 0 0.25 0.5 0.5 0.5 1 NaN
    assert.deepEqual([r.value, r.below, r.equal], [0.5, 3, 3]);
    const z = await cpuSelect(x, 1);
    assert.deepEqual([z.value, z.below, z.equal], [0, 0, 2]);
    assert.ok(Number.isNaN((await cpuSelect(x, 7)).value));
  });

  test('rejects ranks outside the tensor', async () => {
    await assert.rejects(cpuSelect(f32([]), 0), RangeError);
    await assert.rejects(cpuSelect(f32([1, 2]), 2), RangeError);
    await assert.rejects(cpuSelect(f32([1, 2]), -1), RangeError);
    await assert.rejects(cpuSelect(f32([1, 2]), 0.5), RangeError);
  });

  test('takes 2 passes over float32 data on the CPU, 3 on the GPU; 1 and 2 over BF16', () => {
    assert.deepEqual(radixDigits(0, 16), [16, 15]);
    assert.deepEqual(radixDigits(0, 11), [11, 10, 10]);
    assert.deepEqual(radixDigits(16, 16), [15]);
    assert.deepEqual(radixDigits(16, 11), [8, 7]);
    assert.deepEqual(radixDigits(13, 16), [9, 9]);
  });
});

describe('GPU selection equals the CPU', () => {
  for (const [label, opts] of RESIDENCY_LAYOUTS) {
    test(`edge cases and fixture, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      const inputs = [...edgeCases(), ...Object.entries(kernelFixture()).map(([name, f]) => ({ name, x: f.x }))];
      for (const { name, x } of inputs) {
        for (const k of ranks(x.data.length, 9)) assert.deepEqual(await gpu.selectMagnitude(x, k), await cpuSelect(x, k), `${name} k=${k} (${label})`);
      }
    });
  }

  test('ExCP threshold inputs: lower median of |W - R| over a million elements', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1 << 20 });
    if (!gpu) return;
    const x = f32(normal(1_000_001, 17, 0, 1e-3));
    const k = lowerMedianRank(x.data.length);
    assert.deepEqual(await gpu.selectMagnitude(x, k), await cpuSelect(x, k));
  });

  test('rejects ranks outside the tensor', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    await assert.rejects(gpu.selectMagnitude(f32([1, 2]), 2), RangeError);
  });
});
