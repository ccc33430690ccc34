// Generates a large safetensors file without writing its data: the header is real, the data section
// is a sparse hole (reads as zeros), so a multi-GB checkpoint costs no disk and no time to make.
import { open } from 'node:fs/promises';

export interface SparseTensor {
  name: string;
  dtype: 'F32' | 'BF16' | 'F16';
  shape: number[];
}

const SIZE = { F32: 4, BF16: 2, F16: 2 } as const;

/** Writes `path` with the given tensors laid out back to back; returns the file size. */
export async function writeSparseSafetensors(path: string, tensors: SparseTensor[]): Promise<number> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * SIZE[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + bytes] };
    at += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length), 0);
  head.write(json, 8, 'utf8');
  const fh = await open(path, 'w');
  try {
    await fh.write(head, 0, head.length, 0);
    await fh.truncate(head.length + at);
  } finally {
    await fh.close();
  }
  return head.length + at;
}

/** A LLaMA-like list of tensors: `layers` decoder layers of width `dim`, MLP width `hidden`, vocabulary `vocab`. */
export function llamaLikeTensors(layers: number, dim: number, hidden: number, vocab: number, dtype: SparseTensor['dtype']): SparseTensor[] {
  const t: SparseTensor[] = [{ name: 'model.embed_tokens.weight', dtype, shape: [vocab, dim] }];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    t.push(
      { name: `${p}.input_layernorm.weight`, dtype, shape: [dim] },
      { name: `${p}.self_attn.q_proj.weight`, dtype, shape: [dim, dim] },
      { name: `${p}.self_attn.k_proj.weight`, dtype, shape: [dim, dim] },
      { name: `${p}.self_attn.v_proj.weight`, dtype, shape: [dim, dim] },
      { name: `${p}.self_attn.o_proj.weight`, dtype, shape: [dim, dim] },
      { name: `${p}.post_attention_layernorm.weight`, dtype, shape: [dim] },
      { name: `${p}.mlp.gate_proj.weight`, dtype, shape: [hidden, dim] },
      { name: `${p}.mlp.up_proj.weight`, dtype, shape: [hidden, dim] },
      { name: `${p}.mlp.down_proj.weight`, dtype, shape: [dim, hidden] },
    );
  }
  t.push({ name: 'model.norm.weight', dtype, shape: [dim] }, { name: 'lm_head.weight', dtype, shape: [vocab, dim] });
  return t;
}
