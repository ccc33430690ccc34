// 1-D k-means on WebGPU (webgpu/gpuKmeans.ts) against the CPU reference (cpu/kmeans.ts).
// Tolerances: count, centroids (bits) and codes exactly (the GPU's bin sums are exact integers, so the
// host's DP and Lloyd steps see the CPU's very numbers); sse to 1e-9 relative (the CPU adds float64
// squares in order, the GPU integer-exact squares in per-thread fixed point to ~2^-38; measured
// worst is printed). Errors (a selected NaN/Inf, a bad k or mask) must be the CPU's.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Backend } from '../../kernels/src/backend.ts';
import { CpuBackend } from '../../kernels/src/cpu/cpuBackend.ts';
import { excpStep } from '../../kernels/src/cpu/excp.ts';
import type { KMeansOptions, KMeansResult } from '../../kernels/src/cpu/kmeans.ts';
import { float32Values } from '../../kernels/src/float32View.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { closeGpus, edgeCases, f32, gpuOrSkip, normal, randomBits16, RESIDENCY_LAYOUTS, rng } from './gpuEnv.ts';
import { assertSameBits } from './gpuTwinInputs.ts';
import { fixtureTensors, readF32 } from './quantFixtures.ts';

const SSE_REL = 1e-9;
let worstSse = 0;
after(closeGpus);

const cpu = new CpuBackend({ threads: 1 });

/** Runs both backends; they must agree (or fail with the same message). Returns the GPU's result. */
async function assertSameKmeans(gpu: Backend, x: TensorData, opts: KMeansOptions, what: string): Promise<KMeansResult | undefined> {
  let c: KMeansResult;
  try {
    c = await cpu.kmeans(x, opts);
  } catch (e) {
    await assert.rejects(gpu.kmeans(x, opts), { message: (e as Error).message }, `${what}: the GPU must fail as the CPU does`);
    return undefined;
  }
  const g = await gpu.kmeans(x, opts);
  assert.equal(g.count, c.count, `${what}: count`);
  assertSameBits(g.centroids, c.centroids, `${what}: centroids`);
  if (!Buffer.from(g.codes).equals(Buffer.from(c.codes))) {
    const i = g.codes.findIndex((v, j) => v !== c.codes[j]);
    assert.fail(`${what}: codes differ first at element ${i} (${g.codes[i]} vs ${c.codes[i]})`);
  }
  if (c.sse === 0) assert.equal(g.sse, 0, `${what}: sse`);
  else {
    const rel = Math.abs(g.sse - c.sse) / c.sse;
    worstSse = Math.max(worstSse, rel);
    assert.ok(rel <= SSE_REL, `${what}: sse ${g.sse} vs ${c.sse} (relative ${rel})`);
  }
  return g;
}

const everyThird = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));

/** A mask of the finite elements (random 16-bit patterns hold NaN and Inf), every other one dropped. */
function finiteMask(x: TensorData): Uint8Array {
  const v = float32Values(x);
  return Uint8Array.from(v, (a, i) => (Number.isFinite(a) && i % 2 === 0 ? 1 : 0));
}

describe('GPU k-means equals the CPU', () => {
  after(() => console.log(`# worst relative sse difference GPU vs CPU: ${worstSse.toExponential(2)}`));

  for (const [label, opts] of RESIDENCY_LAYOUTS) {
    test(`ExCP residuals and moments of the fixture (tiny-llama 200 vs 100), ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      const now = await fixtureTensors('tiny-llama', 'checkpoint-200');
      const prev = await fixtureTensors('tiny-llama', 'checkpoint-100');
      for (let i = 0; i < now.length; i++) {
        const name = now[i]!.name;
        const m = await readF32(now[i]!.exp_avg);
        const v = await readF32(now[i]!.exp_avg_sq);
        const step = excpStep(await readF32(now[i]!.weight), await readF32(prev[i]!.weight), m, v);
        await assertSameKmeans(gpu, f32(step.residual), { k: 15 }, `${name} dW`);
        await assertSameKmeans(gpu, f32(step.residual), { k: 15, mask: step.weightMask }, `${name} dW (weight mask)`);
        await assertSameKmeans(gpu, f32(m), { k: 15, mask: step.momentMask }, `${name} m`);
        await assertSameKmeans(gpu, f32(v), { k: 15, mask: step.momentMask }, `${name} v`);
      }
    });
  }

  test('fixture weights: BF16 raw bits, k from 1 to 255, f16 centroids, exact refine passes', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1 << 14 });
    if (!gpu) return;
    const now = await fixtureTensors('tiny-llama-bf16', 'checkpoint-200');
    for (const ref of now.slice(0, 6)) {
      const w = await readF32(ref.weight); // BF16 on disk: exactly representable
      const bits: TensorData = { dtype: 'BF16', data: Uint16Array.from(new Uint32Array(w.buffer, w.byteOffset, w.length), (b) => b >>> 16) };
      for (const opts of [{ k: 1 }, { k: 3 }, { k: 15 }, { k: 255 }, { k: 15, centroidDtype: 'f16' as const }, { k: 7, refinePasses: 2 }]) {
        await assertSameKmeans(gpu, bits, opts, `${ref.name} BF16 ${JSON.stringify(opts)}`);
      }
      const v = await readF32(ref.exp_avg_sq);
      await assertSameKmeans(gpu, f32(v), { k: 15, centroidDtype: 'f16' }, `${ref.name} v, f16 centroids (tiny values round to 0)`);
    }
  });

  for (const [label, opts] of [
    ['one slab', {}],
    ['4 KiB slabs', { maxChunkBytes: 4096 }],
  ] as const) {
    test(`edge cases of issue 3, with and without a mask, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const { name, x } of edgeCases()) {
        const n = x.data.length;
        await assertSameKmeans(gpu, x, { k: 15 }, name); // NaN/Inf selected: both must name the element
        await assertSameKmeans(gpu, x, { k: 15, mask: everyThird(n) }, `${name}, every third`);
        await assertSameKmeans(gpu, x, { k: 4, mask: finiteMask(x) }, `${name}, finite even elements`);
      }
    });
  }

  test('empty mask, fewer values or distinct values than k, all equal, signed zeros, magnitudes', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 4096 });
    if (!gpu) return;
    const x = normal(100_003, 71, 0.5, 2);
    const empty = await assertSameKmeans(gpu, f32(x), { k: 15, mask: new Uint8Array(x.length) }, 'empty mask');
    assert.deepEqual([empty!.count, empty!.centroids.length, empty!.sse], [0, 0, 0]);
    const few = new Uint8Array(x.length);
    for (let i = 0; i < 15; i++) few[i * 6007] = 1;
    assert.equal((await assertSameKmeans(gpu, f32(x), { k: 15, mask: few }, '15 selected, k = 15'))!.sse, 0);

    const two = Float32Array.from({ length: 100_000 }, (_, i) => (i % 7 ? 0.5 : -0.25));
    const r2 = await assertSameKmeans(gpu, f32(two), { k: 15 }, 'two distinct values');
    assert.deepEqual(Array.from(r2!.centroids), [-0.25, 0.5]);
    assert.equal(r2!.sse, 0);
    for (const value of [0.1, -3e38, 1e-45, -7]) {
      const same = await assertSameKmeans(gpu, f32(new Float32Array(200_000).fill(value)), { k: 15 }, `all ${value}`);
      assert.deepEqual([same!.centroids.length, same!.sse], [1, 0]);
    }

    // -0 and +0 at both ends of the selected range (the histogram orders -0 below +0)
    const zeros = Float32Array.from({ length: 70_000 }, (_, i) => [0, -0, 1, 2, 3, -0, 0, 5e-30][i % 8]!);
    await assertSameKmeans(gpu, f32(zeros), { k: 3, mask: new Uint8Array(zeros.length).fill(1) }, 'signed zeros at the minimum');
    const negatives = Float32Array.from(zeros, (v) => -v);
    await assertSameKmeans(gpu, f32(negatives), { k: 3, mask: new Uint8Array(zeros.length).fill(1) }, 'signed zeros at the maximum');

    // values spanning the whole float32 range: subnormals to near the maximum, both signs
    const r = rng(72);
    const wide = Float32Array.from({ length: 100_000 }, () => (r() < 0.5 ? -1 : 1) * 2 ** (r() * 276 - 149));
    await assertSameKmeans(gpu, f32(wide), { k: 15 }, 'subnormals to 1e38');
    await assertSameKmeans(gpu, f32(wide), { k: 255 }, 'subnormals to 1e38, k = 255');
    const mixed = Float32Array.from({ length: 100_000 }, (_, i) => (i % 1000 === 0 ? 1e30 : (r() - 0.5) * 1e-30));
    await assertSameKmeans(gpu, f32(mixed), { k: 3 }, 'an outlier cluster 60 decades above the bulk');
    const f16: TensorData = { dtype: 'F16', data: randomBits16(100_001, 73) };
    await assertSameKmeans(gpu, f16, { k: 15, mask: finiteMask(f16) }, 'F16 random bits, finite');
    // huge values with f16 centroids: a centroid rounds to Inf and both backends refuse
    await assertSameKmeans(gpu, f32(Float32Array.from(normal(100_000, 74), (v) => v * 1e6)), { k: 15, centroidDtype: 'f16' }, 'f16 overflow');
  });

  test('bad arguments fail as on the CPU', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    const values = normal(1000, 75);
    const x = f32(values);
    await assert.rejects(gpu.kmeans(x, { k: 0 }), /1\.\.255 centroids, got 0/);
    await assert.rejects(gpu.kmeans(x, { k: 256 }), /1\.\.255/);
    await assert.rejects(gpu.kmeans(x, { k: 2, mask: new Uint8Array(3) }), /mask has 3 elements, x has 1000/);
    const bad = values.slice();
    bad[777] = -Infinity;
    await assert.rejects(gpu.kmeans(f32(bad), { k: 4 }), /non-finite value \(-Infinity\) at element 777/);
    const masked = new Uint8Array(bad.length).fill(1);
    masked[777] = 0;
    await assertSameKmeans(gpu, f32(bad), { k: 4, mask: masked }, 'the -Inf masked out');
  });

  test('two million elements over 1 MiB slabs, resident and streamed, with a mask', async (t) => {
    const x = f32(Float32Array.from(normal(2_000_003, 81, 0, 0.02), (v, i) => (i % 5 === 0 ? 0 : v)));
    const mask = Uint8Array.from(x.data, (_, i) => (i % 4 === 1 ? 0 : 1));
    for (const opts of [{ maxChunkBytes: 1 << 20 }, { maxChunkBytes: 1 << 20, residentBytes: 0 }]) {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      await assertSameKmeans(gpu, x, { k: 15 }, `2M ${JSON.stringify(opts)}`);
      await assertSameKmeans(gpu, x, { k: 15, mask }, `2M masked ${JSON.stringify(opts)}`);
    }
  });
});
