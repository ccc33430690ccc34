// The entropy-coding layer against 7-Zip (-mx=9) on the fixtures' real payloads: ExCP code streams
// (what the published recipe hands to 7-Zip) and lossless float tensors (byte planes). Our streams
// are per tensor (fresh models each, headers included); 7-Zip gets everything as one file.
// Without 7z the comparisons skip with the reason, or fail under CKPT_LENS_REQUIRE_ALL=1.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { decodeCodes, decodeFloatPlanes, encodeCodes, encodeFloatPlanes, type PlaneDType } from '../../server/src/compress/codec/index.ts';
import { EXCP_BITS, FIXTURES, concat, concatCodes, excpCodeStreams, packNibbles, sevenZipSize, tensorBytes, why7zMissing, type TensorPart } from './codecPayloads.ts';

function have7z(t: TestContext): boolean {
  const reason = why7zMissing();
  if (reason === undefined) return true;
  if (process.env.CKPT_LENS_REQUIRE_ALL === '1') assert.fail(`${reason}; required because CKPT_LENS_REQUIRE_ALL=1`);
  t.skip(reason);
  return false;
}

const PAIRS = [
  ['tiny-llama/checkpoint-200', 'tiny-llama/checkpoint-100'],
  ['tiny-llama/checkpoint-300', 'tiny-llama/checkpoint-200'],
  ['tiny-llama-bf16/checkpoint-200', 'tiny-llama-bf16/checkpoint-100'],
] as const;

for (const [cur, ref] of PAIRS) {
  test(`ExCP codes of ${cur} against ${ref}: smaller than 7z -mx=9 of the same codes`, async (t) => {
    const tensors = await excpCodeStreams(`${FIXTURES}/${cur}`, `${FIXTURES}/${ref}`);
    let ours = 0;
    for (const c of tensors) {
      for (const [name, codes] of [['w', c.w], ['m', c.m], ['v', c.v]] as const) {
        const stream = encodeCodes(codes, EXCP_BITS, name === 'w' ? { rowLength: c.rowLength } : {});
        assert.deepEqual(decodeCodes(stream, codes.length, EXCP_BITS), codes, `${c.name} ${name}`);
        ours += stream.length;
      }
    }
    if (!have7z(t)) return;
    const raw = concatCodes(tensors);
    // 7-Zip gets the better of one byte per code and two codes per byte.
    const sevenZip = Math.min(sevenZipSize(raw), sevenZipSize(packNibbles(raw)));
    t.diagnostic(`${raw.length} codes: ours ${ours} bytes, 7z -mx=9 ${sevenZip} bytes (${((1 - ours / sevenZip) * 100).toFixed(1)}% smaller)`);
    // Measured 6.3-6.5% smaller on the three pairs (92,642 against 99,036 bytes for step 200).
    assert.ok(ours < sevenZip * 0.96, `ours ${ours} bytes, 7z ${sevenZip} bytes`);
  });
}

const LOSSLESS: Array<[string, TensorPart, number]> = [
  // [checkpoint, part, the least ratio we accept (measured 1.207 / 1.275 / 1.349 / 1.524)]
  ['tiny-llama/checkpoint-200', 'weight', 1.2],
  ['tiny-llama/checkpoint-200', 'exp_avg', 1.25],
  ['tiny-llama/checkpoint-200', 'exp_avg_sq', 1.32],
  ['tiny-llama-bf16/checkpoint-200', 'weight', 1.5],
];

for (const [dir, part, least] of LOSSLESS) {
  test(`lossless ${part} of ${dir}: byte planes beat 7z -mx=9 and reach ${least}x`, async (t) => {
    const tensors = await tensorBytes(`${FIXTURES}/${dir}`, part);
    let ours = 0;
    for (const x of tensors) {
      const stream = encodeFloatPlanes(x.bytes, x.dtype as PlaneDType);
      assert.deepEqual(decodeFloatPlanes(stream, x.dtype as PlaneDType), x.bytes, x.name);
      ours += stream.length;
    }
    const raw = concat(tensors.map((x) => x.bytes));
    const ratio = raw.length / ours;
    t.diagnostic(`${raw.length} bytes -> ${ours} (${ratio.toFixed(3)}x)`);
    assert.ok(ratio >= least, `ratio ${ratio.toFixed(3)}`);
    if (!have7z(t)) return;
    const sevenZip = sevenZipSize(raw);
    t.diagnostic(`7z -mx=9: ${sevenZip} bytes (${(raw.length / sevenZip).toFixed(3)}x)`);
    assert.ok(ours < sevenZip, `ours ${ours} bytes, 7z ${sevenZip} bytes`);
  });
}

test('lossless weights of tiny-llama step 200 XOR-ed against step 100: smaller than alone', async () => {
  const [now, before] = await Promise.all([tensorBytes(`${FIXTURES}/tiny-llama/checkpoint-200`, 'weight'), tensorBytes(`${FIXTURES}/tiny-llama/checkpoint-100`, 'weight')]);
  let alone = 0;
  let xored = 0;
  for (let i = 0; i < now.length; i++) {
    alone += encodeFloatPlanes(now[i].bytes, 'F32').length;
    const stream = encodeFloatPlanes(now[i].bytes, 'F32', before[i].bytes);
    assert.deepEqual(decodeFloatPlanes(stream, 'F32', before[i].bytes), now[i].bytes);
    xored += stream.length;
  }
  // Measured 543,971 alone and 520,065 against the reference (1.207x -> 1.263x).
  assert.ok(xored < alone * 0.97, `alone ${alone}, XOR ${xored}`);
});
