// Interoperability with real PyTorch (Debian's python3-torch, run as /usr/bin/python3): files we
// write load in torch.load and resume AdamW; files torch.save writes read in our reader.
// Skipped when `import torch` fails, unless CKPT_LENS_REQUIRE_ALL=1 (CI), where that is a failure.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { readTensorFloat32 } from '../../server/src/formats/tensorData.ts';
import { FormatError } from '../../server/src/formats/types.ts';
import { openTorchFile, readTorchStateDict } from '../../server/src/formats/torch/reader.ts';
import { tensorSourceFromRef, writeTorchStateDict } from '../../server/src/formats/torch/writer.ts';
import { havePythonModule, runPython } from '../helpers/python.ts';
import { rewriteOptimizer } from '../helpers/rewriteOptimizer.ts';
import { tempDirFactory } from '../helpers/tempDir.ts';

const SCRIPTS = resolve('test/python');
/** False (and the test skipped, or failed in CI) when PyTorch is not there. */
const needTorch = (t: TestContext) => havePythonModule(t, 'torch');
const python = (script: string, ...args: string[]) => runPython(join(SCRIPTS, script), ...args);

const tmp = tempDirFactory('torch-py-');

for (const [dir, options] of [
  ['test/fixtures/tiny-llama/checkpoint-200', {}],
  ['test/fixtures/tiny-llama-bf16/checkpoint-200', {}],
  ['test/fixtures/tiny-llama/checkpoint-300', { zip64: 'always' }],
] as const) {
  test(`PyTorch loads our rewrite of ${dir}/optimizer.pt${options.zip64 ? ' (ZIP64 records everywhere)' : ''}, bit-exact, and AdamW resumes from it`, async (t) => {
    if (!needTorch(t)) return;
    const original = resolve(dir, 'optimizer.pt');
    const out = join(tmp(), 'optimizer.pt');
    await rewriteOptimizer(original, out, options);
    const report = JSON.parse(python('check_optimizer_roundtrip.py', original, out)) as Record<string, number>;
    const step = dir.endsWith('300') ? 300 : 200;
    assert.deepEqual([report.tensors, report.params, report.step_before, report.step_after], [63, 21, step, step + 1]);
  });
}

interface PyTensor { name: string; dtype: string; shape: number[]; values: number[] }

test('a state dict saved by torch.save reads back: every dtype, parameters, tied weights, views', async (t) => {
  if (!needTorch(t)) return;
  const file = join(tmp(), 'pytorch_model.bin');
  const expected = JSON.parse(python('torch_state_dict.py', 'make', file)) as PyTensor[];
  const refs = await readTorchStateDict(file);
  assert.deepEqual(refs.map((r) => [r.name, r.dtype, r.shape]), expected.map((e) => [e.name, e.dtype, e.shape]));
  for (const [i, ref] of refs.entries()) {
    // Our float32 view of each value equals PyTorch's value rounded to float32.
    assert.deepEqual(Array.from(await readTensorFloat32(ref)), expected[i]!.values.map(Math.fround), ref.name);
  }
  const byName = new Map(refs.map((r) => [r.name, r]));
  assert.equal(byName.get('lm_head.weight')!.offset, byName.get('embed.weight')!.offset); // tied: one storage
  assert.equal(byName.get('row')!.offset, byName.get('embed.weight')!.offset + 2 * 3 * 4); // embed[2]
  const f = await openTorchFile(file);
  assert.equal(f.prefix, 'pytorch_model');
  assert.equal(f.tensors.find((x) => x.ref.name === 'param')!.requiresGrad, true);
});

test('a transposed tensor saved by torch.save is refused as non-contiguous', async (t) => {
  if (!needTorch(t)) return;
  const file = join(tmp(), 'strided.pt');
  python('torch_state_dict.py', 'make-strided', file);
  await assert.rejects(openTorchFile(file), (e: unknown) => e instanceof FormatError && /stride \[1,3\] .* not contiguous/.test(e.message));
});

test('torch.load (weights_only) reads a state dict we write', async (t) => {
  if (!needTorch(t)) return;
  const dir = tmp();
  const source = join(dir, 'source.bin');
  const expected = JSON.parse(python('torch_state_dict.py', 'make', source)) as PyTensor[];
  const out = join(dir, 'copy.bin');
  await writeTorchStateDict(out, (await readTorchStateDict(source)).map((r) => [r.name, tensorSourceFromRef(r)] as const));
  const loaded = JSON.parse(python('torch_state_dict.py', 'load', out)) as PyTensor[];
  assert.deepEqual(loaded, expected);
});
