import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openCheckpoint } from '../../server/src/checkpoint/open.ts';
import { isRunDirectory, listSeries } from '../../server/src/checkpoint/series.ts';
import { readTensorFloat32 } from '../../server/src/formats/tensorData.ts';
import { FormatError } from '../../server/src/formats/types.ts';
import { assertStatsEqual, loadReference, tensorStats } from '../helpers/referenceStats.ts';
import { makeTempDir } from '../helpers/tempDir.ts';

const FIX = 'test/fixtures';

for (const [set, refName] of [
  ['tiny-llama/checkpoint-200', 'tiny-llama-checkpoint-200'],
  ['tiny-llama-bf16/checkpoint-200', 'tiny-llama-bf16-checkpoint-200'],
] as const) {
  test(`${set}: Trainer directory with every parameter's moments, values equal PyTorch's`, async () => {
    const ckpt = await openCheckpoint(join(FIX, set));
    const expected = loadReference(refName);
    assert.equal(ckpt.format, 'trainer');
    assert.equal(ckpt.step, 200);
    assert.deepEqual(ckpt.tensors.map((t) => t.name), Object.keys(expected.tensors));
    assert.equal(ckpt.optimizer?.matched, ckpt.tensors.length);
    assert.equal(ckpt.optimizer?.step, 200);
    assert.equal(ckpt.optimizer?.hyperParameters.lr, 0.003);
    for (const t of ckpt.tensors) {
      const e = expected.tensors[t.name]!;
      assertStatsEqual(tensorStats(await readTensorFloat32(t)), e.weight, `${t.name} weight`);
      assertStatsEqual(tensorStats(await readTensorFloat32(t.moments.exp_avg!)), e.exp_avg, `${t.name} exp_avg`);
      assertStatsEqual(tensorStats(await readTensorFloat32(t.moments.exp_avg_sq!)), e.exp_avg_sq, `${t.name} exp_avg_sq`);
    }
  });
}

test('a run directory is a series ordered by step, and opening it says to pick a checkpoint', async () => {
  const series = await listSeries(join(FIX, 'tiny-llama'));
  assert.deepEqual(series.checkpoints.map((c) => c.step), [100, 200, 300]);
  assert.equal(await isRunDirectory(join(FIX, 'tiny-llama')), true);
  assert.equal(await isRunDirectory(join(FIX, 'tiny-llama/checkpoint-100')), false);
  await assert.rejects(openCheckpoint(join(FIX, 'tiny-llama')), (e: Error) => e instanceof FormatError && /run directory with 3 checkpoints/.test(e.message));
});

test('moments that do not line up with the parameters are a clear error; a mapping fixes the order', async () => {
  const tmp = makeTempDir();
  try {
    // Put the weights of step 100 beside an optimizer whose parameter order is reversed by the mapping.
    const names = Object.keys(loadReference('tiny-llama-checkpoint-200').tensors);
    const shuffled = [...names.slice(1), names[0]];
    const mapping = await tmp.put('mapping.json', JSON.stringify(shuffled));
    await assert.rejects(
      openCheckpoint(join(FIX, 'tiny-llama/checkpoint-100'), { mapping }),
      (e: Error) => e instanceof FormatError && /optimizer\.pt/.test(e.message) && /state 0\.exp_avg has shape \[256, 64\] but parameter 'model\.layers\.0\.input_layernorm\.weight' has shape \[64\]/.test(e.message),
    );
    const identity = await tmp.put('identity.json', JSON.stringify(Object.fromEntries(names.map((n, i) => [String(i), n]))));
    const ok = await openCheckpoint(join(FIX, 'tiny-llama/checkpoint-100'), { mapping: identity });
    assert.equal(ok.optimizer?.matched, names.length);
  } finally {
    await tmp.remove();
  }
});

test('moments stored in safetensors as <name>.exp_avg / <name>.exp_avg_sq are attached', async () => {
  const { writeSafetensors } = await import('../../server/src/formats/safetensors/writer.ts');
  const tmp = makeTempDir();
  try {
    const f32 = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
    const file = join(tmp.dir, 'model.safetensors');
    await writeSafetensors(file, [
      { name: 'w', dtype: 'F32', shape: [2], data: f32([1, 2]) },
      { name: 'w.exp_avg', dtype: 'F32', shape: [2], data: f32([0.1, 0.2]) },
      { name: 'w.exp_avg_sq', dtype: 'F32', shape: [2], data: f32([0.01, 0.04]) },
      { name: 'b', dtype: 'F32', shape: [1], data: f32([3]) },
    ]);
    const ckpt = await openCheckpoint(file);
    assert.deepEqual(ckpt.tensors.map((t) => [t.name, Object.keys(t.moments).sort()]), [['w', ['exp_avg', 'exp_avg_sq']], ['b', []]]);
    assert.equal(ckpt.optimizer?.matched, 1);
    assert.deepEqual(Array.from(await readTensorFloat32(ckpt.tensors[0]!.moments.exp_avg_sq!)), [Math.fround(0.01), Math.fround(0.04)]);
  } finally {
    await tmp.remove();
  }
});
