// Attention groups of one block: heads (multi-head attention) or KV groups and query heads (GQA/MQA).
import type { FamilyLayout } from './architectureFamilies.ts';
import { blockAttention } from './architectureShape.ts';
import type { Layer } from './layers.ts';
import { groupSet, ModuleSlicer, type GroupSet } from './structuredTypes.ts';

/** The block's attention group sets for a known head_dim; empty when the block lacks the family's weights. */
export function attentionGroupSets(layout: FamilyLayout, layer: Layer, headDim: number): GroupSet[] {
  const widths = blockAttention(layout, layer);
  const a = layout.attention;
  const slicer = new ModuleSlicer(layer);
  const modules = a.kind === 'separate' ? [a.q, a.k, a.v, a.o] : [a.qkv, a.o];
  if (!widths || !slicer.has(...modules)) return [];
  if (widths.query % headDim !== 0 || widths.kv % headDim !== 0) {
    throw new Error(`block ${layer.id}: ${widths.queryTensor} (${widths.query} rows) or ${widths.kvTensor} (${widths.kv} rows) is not a whole number of heads of head_dim ${headDim}`);
  }
  const heads = widths.query / headDim;
  const kvHeads = widths.kv / headDim;
  const d = headDim;

  if (a.kind === 'fused-per-head') {
    // GPT-NeoX: output rows of query_key_value are [heads, 3, head_dim], so head h owns 3*head_dim
    // consecutive rows (its q, k and v), and columns [h*d, (h+1)*d) of the output projection.
    return [groupSet('attention_head', heads, [...slicer.outputs(a.qkv, false, 0, 3 * d), slicer.inputs(a.o, false, 0, d)])];
  }
  if (a.kind === 'fused-blocks-transposed') {
    // GPT-2: c_attn's output columns are [q | k | v], each [heads, head_dim]; c_proj takes input rows.
    const width = widths.query;
    return [groupSet('attention_head', heads, [
      ...[0, width, 2 * width].flatMap((offset) => slicer.outputs(a.qkv, true, offset, d)),
      slicer.inputs(a.o, true, 0, d),
    ])];
  }
  if (kvHeads === heads) {
    return [groupSet('attention_head', heads, [
      ...[a.q, a.k, a.v].flatMap((m) => slicer.outputs(m, false, 0, d)),
      slicer.inputs(a.o, false, 0, d),
    ])];
  }
  // GQA/MQA as in Hugging Face's repeat_kv: query head h reads KV head floor(h / (heads / kvHeads)), so
  // the query heads of KV head g are consecutive and their q rows / o columns form one range.
  const shared = (heads / kvHeads) * d;
  return [
    groupSet('kv_group', kvHeads, [
      ...slicer.outputs(a.q, false, 0, shared),
      ...[a.k, a.v].flatMap((m) => slicer.outputs(m, false, 0, d)),
      slicer.inputs(a.o, false, 0, shared),
    ]),
    groupSet('query_head', heads, [...slicer.outputs(a.q, false, 0, d), slicer.inputs(a.o, false, 0, d)]),
  ];
}
