import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { craftSafetensors } from '../helpers/craftSafetensors.ts';
import { runCli } from '../helpers/cli.ts';
import { loadReference } from '../helpers/referenceStats.ts';
import { makeTempDir } from '../helpers/tempDir.ts';
import { writeZip } from '../../server/src/formats/zip/zipWriter.ts';

const FIX = 'test/fixtures';

test('inspect --json on the F32 Trainer checkpoint: every tensor, its bytes, file and moments', async () => {
  const r = await runCli(['inspect', join(FIX, 'tiny-llama/checkpoint-200'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const ref = loadReference('tiny-llama-checkpoint-200');
  assert.equal(j.format, 'trainer');
  assert.deepEqual(j.tensors.map((t: { name: string }) => t.name), Object.keys(ref.tensors));
  for (const t of j.tensors) {
    assert.equal(t.dtype, 'F32');
    assert.equal(t.numel, ref.tensors[t.name]!.weight.numel);
    assert.equal(t.numel, t.shape.reduce((a: number, b: number) => a * b, 1));
    assert.equal(t.bytes, t.numel * 4);
    assert.equal(t.file, 'model.safetensors');
    assert.deepEqual(t.moments, ['exp_avg', 'exp_avg_sq']);
  }
  assert.deepEqual(j.totals, { tensors: 21, numel: 164160, bytes: 656640 });
  assert.equal(j.optimizer.kind, 'adam');
  assert.equal(j.optimizer.step, 200);
  assert.equal(j.optimizer.matched, 21);
});

test('inspect --json on the BF16 shard set names each tensor\'s shard', async () => {
  const r = await runCli(['inspect', join(FIX, 'tiny-llama-bf16/checkpoint-100/model.safetensors.index.json'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.format, 'safetensors-sharded');
  const index = JSON.parse(readFileSync(join(FIX, 'tiny-llama-bf16/checkpoint-100/model.safetensors.index.json'), 'utf8'));
  for (const t of j.tensors) {
    assert.equal(t.dtype, 'BF16');
    assert.equal(t.bytes, t.numel * 2);
    assert.equal(t.file, index.weight_map[t.name]);
  }
  assert.equal(j.totals.bytes, 164160 * 2);
  assert.equal(j.optimizer, null);
});

test('inspect prints a table with totals, and lists a run directory by step', async () => {
  const r = await runCli(['inspect', join(FIX, 'tiny-llama')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /run directory: 3 checkpoints \(steps 100, 200, 300\)/);
  assert.match(r.stdout, /model\.layers\.1\.mlp\.down_proj\.weight\s+F32\s+\[64, 256\]\s+16,384\s+64\.0 KiB\s+model\.safetensors\s+exp_avg, exp_avg_sq/);
  assert.match(r.stdout, /total: 21 tensors, 164,160 parameters, 641\.3 KiB/);
});

test('bad input exits 2 with one line naming the file, tensor and offset; never a stack trace', async () => {
  const tmp = makeTempDir();
  try {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['huge-header.safetensors', craftSafetensors({}, 0, { headerLength: 1n << 40n }), /header/i],
      ['not-json.safetensors', craftSafetensors('{not json'), /JSON/],
      ['bad-dtype.safetensors', craftSafetensors({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4), /tensor 'w'.*dtype/],
      ['span.safetensors', craftSafetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4), /tensor 'w'/],
      ['trailing.safetensors', craftSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /trailing|gap|cover/i],
    ];
    for (const [name, bytes, why] of cases) {
      const file = await tmp.put(name, bytes);
      const r = await runCli(['inspect', file]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${name}: one line, got ${r.stderr}`);
      assert.ok(lines[0]!.includes(file), `${name}: names the file: ${lines[0]}`);
      assert.match(lines[0]!, why);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const missing = await runCli(['inspect', join(tmp.dir, 'nope.safetensors')]);
    assert.equal(missing.code, 2);
    const usage = await runCli(['inspect']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /inspect takes 1 path argument/);
  } finally {
    await tmp.remove();
  }
});

test('a pickle naming os.system is refused, not run: exit 2 naming the global', async () => {
  const tmp = makeTempDir();
  try {
    // Protocol 2: GLOBAL 'os system', the argument tuple ('touch PWNED',), REDUCE, STOP.
    const marker = join(tmp.dir, 'PWNED');
    const cmd = Buffer.from(`touch ${marker}`);
    const pkl = Buffer.concat([
      Buffer.from([0x80, 0x02]), Buffer.from('cos\nsystem\n'),
      Buffer.from([0x58]), Buffer.from(new Uint32Array([cmd.length]).buffer), cmd,
      Buffer.from([0x85, 0x52, 0x2e]),
    ]);
    const file = join(tmp.dir, 'pytorch_model.bin');
    await writeZip(file, [{ name: 'pytorch_model/data.pkl', size: pkl.length, data: pkl }]);
    const r = await runCli(['inspect', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /os\.system/);
    assert.ok(r.stderr.includes(file));
    assert.equal(r.stderr.trim().split('\n').length, 1);
    await assert.rejects(import('node:fs/promises').then((fs) => fs.stat(marker)), 'the command must not have run');
  } finally {
    await tmp.remove();
  }
});
