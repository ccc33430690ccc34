// Kernel 6 on WebGPU against the CPU reference: max-abs profiles bit-exact, L2 profiles to 2e-6
// relative (f32 sums of scaled squares per piece of 1024 or 256 values, finished in float64).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Backend } from '../../kernels/src/backend.ts';
import { CpuBackend } from '../../kernels/src/cpu/cpuBackend.ts';
import { view2d } from '../../kernels/src/cpu/profiles.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { closeGpus, edgeCases, f32, gpuOrSkip, normal } from './gpuEnv.ts';
import { assertAllClose, fixtureWithShapes, shapesFor, worst } from './gpuTwinInputs.ts';

after(closeGpus);
after(() => console.log(`# worst L2 relative difference: ${JSON.stringify(Object.fromEntries(worst))}`));

const cpu = new CpuBackend({ threads: 1 });
const L2_REL = 2e-6;

async function assertSameProfiles(gpu: Backend, x: TensorData, shape: number[], what: string): Promise<void> {
  for (const l2 of [false, true]) {
    const g = await gpu.profiles(x, shape, { l2 });
    const c = await cpu.profiles(x, shape, { l2 });
    const tag = `${what} ${JSON.stringify(shape)}${l2 ? ' l2' : ''}`;
    assert.deepEqual([g.rows, g.cols], [c.rows, c.cols], tag);
    assert.deepEqual(g.rowMaxAbs, c.rowMaxAbs, `${tag}: row max-abs`);
    assert.deepEqual(g.colMaxAbs, c.colMaxAbs, `${tag}: column max-abs`);
    if (!l2) {
      assert.equal(g.rowL2, undefined);
      continue;
    }
    assertAllClose(g.rowL2!, c.rowL2!, L2_REL, `${tag}: row L2`, 'L2');
    assertAllClose(g.colL2!, c.colL2!, L2_REL, `${tag}: column L2`, 'L2');
  }
}

describe('GPU profiles equal the CPU', () => {
  for (const [label, opts] of [
    ['one slab', {}],
    ['many 4 KiB slabs (cut mid-row)', { maxChunkBytes: 4096 }],
  ] as const) {
    test(`edge cases in several 2-D shapes, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const { name, x } of edgeCases()) {
        for (const shape of shapesFor(x.data.length)) await assertSameProfiles(gpu, x, shape, `${name} (${label})`);
      }
    });

    test(`fixture weights (F32, BF16, F16) and moments, ${label}`, async (t) => {
      const gpu = await gpuOrSkip(t, opts);
      if (!gpu) return;
      for (const { name, x, shape } of fixtureWithShapes()) {
        await assertSameProfiles(gpu, x, shape, name);
        await assertSameProfiles(gpu, x, [shape[1]!, shape[0]!], `${name} transposed view`);
      }
    });
  }

  test('a 3001 x 333 tensor over several 1 MiB slabs, with row and column outliers', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1 << 20 });
    if (!gpu) return;
    const x = normal(3001 * 333, 31, 0, 0.02);
    for (let c = 0; c < 333; c++) x[1234 * 333 + c]! *= 50; // an outlier row
    for (let r = 0; r < 3001; r++) x[r * 333 + 17]! *= 30; // an outlier column
    await assertSameProfiles(gpu, f32(x), [3001, 333], 'outliers');
    await assertSameProfiles(gpu, f32(x), [111, 3, 3001], '3-D view');
  });

  test('a 1 x n row longer than a slab, and an all-zero tensor', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1 << 16 });
    if (!gpu) return;
    const x = normal(70_003, 32);
    await assertSameProfiles(gpu, f32(x), [1, x.length], '1 x n');
    const zeros = await gpu.profiles(f32(new Float32Array(4 * 40_000)), [40_000, 4], { l2: true });
    assert.ok(zeros.rowMaxAbs.every((v) => v === 0) && zeros.colL2!.every((v) => v === 0));
  });

  test('empty views and bad shapes', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    const e = await gpu.profiles(f32([]), [0, 4], { l2: true });
    assert.deepEqual([e.rowMaxAbs.length, Array.from(e.colMaxAbs), Array.from(e.colL2!)], [0, [0, 0, 0, 0], [0, 0, 0, 0]]);
    assert.deepEqual(view2d([0, 4]), { rows: 0, cols: 4 });
    await assert.rejects(gpu.profiles(f32([1, 2, 3]), [2, 2]), /does not fill a 2 x 2 view/);
  });
});
