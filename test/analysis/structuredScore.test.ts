// Group scores: hand-computed sums and maxima, a brute-force cross-check on the real fixture's |w|,
// and the errors for missing or mis-sized importance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { openSafetensors } from '../../server/src/formats/safetensors/reader.ts';
import { readTensorFloat32 } from '../../server/src/formats/tensorData.ts';
import { describeArchitecture } from '../../server/src/analysis/architecture.ts';
import { elementRuns, scoreGroups, structuredGroups, view2d } from '../../server/src/analysis/structuredGroups.ts';
import { llamaTensors } from './structuredSyntheticModels.ts';

const FIXTURE = resolve('test/fixtures/tiny-llama/checkpoint-200/model.safetensors');

/** Importance of a `[rows, cols]` tensor from a formula of (row, column). */
function filled(shape: readonly number[], f: (r: number, c: number) => number): Float32Array {
  const [rows, cols] = view2d(shape);
  return Float32Array.from({ length: rows * cols }, (_, k) => f(Math.floor(k / cols), k % cols));
}

// hidden 4, two heads of head_dim 2, MLP width 3.
const tiny = llamaTensors({ layers: 1, hidden: 4, q: 4, kv: 4, mlp: 3, vocab: 5 });
const [block] = structuredGroups(describeArchitecture(tiny, { hints: { headDim: 2 } }));
const p = 'model.layers.0.';
const shapeOf = (local: string) => tiny.find((t) => t.name === p + local)!.shape;
const importance = new Map([
  [`${p}self_attn.q_proj.weight`, filled(shapeOf('self_attn.q_proj.weight'), () => 1)],
  [`${p}self_attn.k_proj.weight`, filled(shapeOf('self_attn.k_proj.weight'), () => 2)],
  [`${p}self_attn.v_proj.weight`, filled(shapeOf('self_attn.v_proj.weight'), () => 3)],
  [`${p}self_attn.o_proj.weight`, filled(shapeOf('self_attn.o_proj.weight'), (_r, c) => 10 * c)],
  [`${p}mlp.gate_proj.weight`, filled(shapeOf('mlp.gate_proj.weight'), (r) => r)],
  [`${p}mlp.up_proj.weight`, filled(shapeOf('mlp.up_proj.weight'), () => 1)],
  [`${p}mlp.down_proj.weight`, filled(shapeOf('mlp.down_proj.weight'), (_r, c) => (c === 1 ? 100 : 0))],
]);

test('attention heads: sum and max by hand', () => {
  const heads = block.sets[0];
  assert.equal(heads.kind, 'attention_head');
  // Head 0: q 2 rows x 4 cols x 1 = 8, k 16, v 24, o columns 0 and 1 over 4 rows: 4*0 + 4*10 = 40.
  // Head 1: q 8, k 16, v 24, o columns 2 and 3: 4*20 + 4*30 = 200.
  assert.deepEqual([...scoreGroups(heads, importance)], [88, 248]);
  assert.deepEqual([...scoreGroups(heads, importance, 'max')], [10, 30]);
});

test('MLP channels: sum and max by hand', () => {
  const channels = block.sets[1];
  assert.equal(channels.kind, 'mlp_channel');
  // Channel j: gate row j (4 values of j) + up row j (4 ones) + down column j (4 values, 100 only in column 1).
  assert.deepEqual([...scoreGroups(channels, importance)], [0 + 4 + 0, 4 + 4 + 400, 8 + 4 + 0]);
  assert.deepEqual([...scoreGroups(channels, importance, 'max')], [1, 100, 2]);
});

test('a single KV group holds all of q, k, v and o', () => {
  const mqa = llamaTensors({ layers: 1, hidden: 4, q: 4, kv: 2, mlp: 3, vocab: 5 });
  const [gqaBlock] = structuredGroups(describeArchitecture(mqa, { hints: { headDim: 2 } }));
  const [kvGroups, queryHeads] = gqaBlock.sets;
  const k = mqa.find((t) => t.name.endsWith('k_proj.weight'))!;
  const v = mqa.find((t) => t.name.endsWith('v_proj.weight'))!;
  const gqaImportance = new Map(importance);
  gqaImportance.set(k.name, filled(k.shape, () => 2));
  gqaImportance.set(v.name, filled(v.shape, () => 3));
  // q: 16 ones; k: 8 twos; v: 8 threes; o: every column, 4*(0+10+20+30) = 240.
  assert.deepEqual([...scoreGroups(kvGroups, gqaImportance)], [16 + 16 + 24 + 240]);
  // Query heads: q 8 each, plus o columns {0,1} = 40 or {2,3} = 200.
  assert.deepEqual([...scoreGroups(queryHeads, gqaImportance)], [48, 208]);
});

test('fixture |w|: scores equal a brute-force sum and max over the element runs', async () => {
  const { tensors } = await openSafetensors(FIXTURE);
  const [, layer1] = structuredGroups(describeArchitecture(tensors, { hints: { numHeads: 4 } }));
  const magnitude = new Map<string, Float32Array>();
  for (const t of tensors.filter((t) => t.name.startsWith('model.layers.1.'))) {
    magnitude.set(t.name, (await readTensorFloat32(t)).map(Math.abs));
  }
  for (const set of layer1.sets) {
    const sums = scoreGroups(set, magnitude);
    const maxima = scoreGroups(set, magnitude, 'max');
    for (let g = 0; g < set.count; g++) {
      let sum = 0;
      let max = -Infinity;
      for (const member of set.members) {
        const values = magnitude.get(member.tensor)!;
        for (const [start, length] of elementRuns(member, g)) {
          for (let k = start; k < start + length; k++) {
            sum += values[k];
            max = Math.max(max, values[k]);
          }
        }
      }
      assert.ok(Math.abs(sums[g] - sum) <= 1e-9 * sum, `${set.kind} ${g}: ${sums[g]} vs ${sum}`);
      assert.equal(maxima[g], max);
    }
    // Groups partition their members, so the sums add up to the members' total |w|.
    const total = set.members.reduce((acc, m) => acc + magnitude.get(m.tensor)!.reduce((a, b) => a + b, 0), 0);
    assert.ok(Math.abs(sums.reduce((a, b) => a + b, 0) - total) <= 1e-9 * total);
  }
});

test('element runs: one run per row range, one per row for a column range', () => {
  const [q, , , o] = block.sets[0].members;
  assert.deepEqual(elementRuns(q, 1), [[8, 8]]);
  assert.deepEqual(elementRuns(o, 1), [[2, 2], [6, 2], [10, 2], [14, 2]]);
});

test('missing or mis-sized importance names the tensor', () => {
  const heads = block.sets[0];
  const missing = new Map(importance);
  missing.delete(`${p}self_attn.v_proj.weight`);
  assert.throws(() => scoreGroups(heads, missing), /no importance values for model\.layers\.0\.self_attn\.v_proj\.weight/);
  const short = new Map(importance);
  short.set(`${p}self_attn.o_proj.weight`, new Float32Array(15));
  assert.throws(() => scoreGroups(heads, short), /importance for model\.layers\.0\.self_attn\.o_proj\.weight has 15 values, expected 16 \(2-D view \[4, 4\]\)/);
});
