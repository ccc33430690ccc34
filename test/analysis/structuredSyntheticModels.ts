// Tensor name/shape lists of real model families, written from their Hugging Face module layouts
// (shapes of published sizes where given), for the layer, architecture and structured-group tests.
import type { NamedShape } from '../../server/src/analysis/layers.ts';

type Spec = Array<[string, number[]]>;
const toTensors = (spec: Spec): NamedShape[] => spec.map(([name, shape]) => ({ name, shape }));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export interface LlamaSizes {
  layers: number;
  hidden: number;
  /** Rows of q_proj (heads * head_dim) and of k_proj / v_proj (kv_heads * head_dim). */
  q: number;
  kv: number;
  mlp: number;
  vocab: number;
  /** Qwen2 has q/k/v biases. */
  qkvBias?: boolean;
}

/** LLaMA / Mistral / Qwen2 (`LlamaForCausalLM` naming). */
export function llamaTensors(s: LlamaSizes): NamedShape[] {
  const spec: Spec = [['model.embed_tokens.weight', [s.vocab, s.hidden]]];
  for (const i of range(s.layers)) {
    const p = `model.layers.${i}.`;
    spec.push([`${p}input_layernorm.weight`, [s.hidden]]);
    for (const [m, rows] of [['q_proj', s.q], ['k_proj', s.kv], ['v_proj', s.kv]] as const) {
      spec.push([`${p}self_attn.${m}.weight`, [rows, s.hidden]]);
      if (s.qkvBias) spec.push([`${p}self_attn.${m}.bias`, [rows]]);
    }
    spec.push(
      [`${p}self_attn.o_proj.weight`, [s.hidden, s.q]],
      [`${p}post_attention_layernorm.weight`, [s.hidden]],
      [`${p}mlp.gate_proj.weight`, [s.mlp, s.hidden]],
      [`${p}mlp.up_proj.weight`, [s.mlp, s.hidden]],
      [`${p}mlp.down_proj.weight`, [s.hidden, s.mlp]],
    );
  }
  spec.push(['model.norm.weight', [s.hidden]], ['lm_head.weight', [s.vocab, s.hidden]]);
  return toTensors(spec);
}

/** Pythia-70m (`GPTNeoXForCausalLM`): hidden 512, 8 heads of 64, 6 layers, vocab 50304. */
export function pythia70mTensors(): NamedShape[] {
  const h = 512;
  const spec: Spec = [['gpt_neox.embed_in.weight', [50304, h]]];
  for (const i of range(6)) {
    const p = `gpt_neox.layers.${i}.`;
    spec.push(
      [`${p}input_layernorm.weight`, [h]], [`${p}input_layernorm.bias`, [h]],
      [`${p}post_attention_layernorm.weight`, [h]], [`${p}post_attention_layernorm.bias`, [h]],
      [`${p}attention.rotary_emb.inv_freq`, [8]],
      [`${p}attention.query_key_value.weight`, [3 * h, h]], [`${p}attention.query_key_value.bias`, [3 * h]],
      [`${p}attention.dense.weight`, [h, h]], [`${p}attention.dense.bias`, [h]],
      [`${p}mlp.dense_h_to_4h.weight`, [4 * h, h]], [`${p}mlp.dense_h_to_4h.bias`, [4 * h]],
      [`${p}mlp.dense_4h_to_h.weight`, [h, 4 * h]], [`${p}mlp.dense_4h_to_h.bias`, [h]],
    );
  }
  spec.push(['gpt_neox.final_layer_norm.weight', [h]], ['gpt_neox.final_layer_norm.bias', [h]], ['embed_out.weight', [50304, h]]);
  return toTensors(spec);
}

/** GPT-2 small (`GPT2LMHeadModel`, Conv1D weights `[in, out]`, lm_head tied to wte so not stored). */
export function gpt2SmallTensors(prefix = 'transformer.'): NamedShape[] {
  const h = 768;
  const spec: Spec = [[`${prefix}wte.weight`, [50257, h]], [`${prefix}wpe.weight`, [1024, h]]];
  for (const i of range(12)) {
    const p = `${prefix}h.${i}.`;
    spec.push(
      [`${p}ln_1.weight`, [h]], [`${p}ln_1.bias`, [h]],
      [`${p}attn.bias`, [1, 1, 1024, 1024]],
      [`${p}attn.c_attn.weight`, [h, 3 * h]], [`${p}attn.c_attn.bias`, [3 * h]],
      [`${p}attn.c_proj.weight`, [h, h]], [`${p}attn.c_proj.bias`, [h]],
      [`${p}ln_2.weight`, [h]], [`${p}ln_2.bias`, [h]],
      [`${p}mlp.c_fc.weight`, [h, 4 * h]], [`${p}mlp.c_fc.bias`, [4 * h]],
      [`${p}mlp.c_proj.weight`, [4 * h, h]], [`${p}mlp.c_proj.bias`, [h]],
    );
  }
  spec.push([`${prefix}ln_f.weight`, [h]], [`${prefix}ln_f.bias`, [h]]);
  return toTensors(spec);
}

/** BERT-base (`BertForPreTraining`): hidden 768, 12 heads, 12 layers, intermediate 3072, vocab 30522. */
export function bertBaseTensors(): NamedShape[] {
  const h = 768;
  const spec: Spec = [
    ['bert.embeddings.word_embeddings.weight', [30522, h]],
    ['bert.embeddings.position_embeddings.weight', [512, h]],
    ['bert.embeddings.token_type_embeddings.weight', [2, h]],
    ['bert.embeddings.LayerNorm.weight', [h]], ['bert.embeddings.LayerNorm.bias', [h]],
  ];
  for (const i of range(12)) {
    const p = `bert.encoder.layer.${i}.`;
    for (const m of ['query', 'key', 'value']) spec.push([`${p}attention.self.${m}.weight`, [h, h]], [`${p}attention.self.${m}.bias`, [h]]);
    spec.push(
      [`${p}attention.output.dense.weight`, [h, h]], [`${p}attention.output.dense.bias`, [h]],
      [`${p}attention.output.LayerNorm.weight`, [h]], [`${p}attention.output.LayerNorm.bias`, [h]],
      [`${p}intermediate.dense.weight`, [3072, h]], [`${p}intermediate.dense.bias`, [3072]],
      [`${p}output.dense.weight`, [h, 3072]], [`${p}output.dense.bias`, [h]],
      [`${p}output.LayerNorm.weight`, [h]], [`${p}output.LayerNorm.bias`, [h]],
    );
  }
  spec.push(
    ['bert.pooler.dense.weight', [h, h]], ['bert.pooler.dense.bias', [h]],
    ['cls.predictions.bias', [30522]],
    ['cls.predictions.transform.dense.weight', [h, h]],
    ['cls.predictions.transform.LayerNorm.weight', [h]],
    ['cls.predictions.decoder.weight', [30522, h]],
  );
  return toTensors(spec);
}

/** A timm-style ViT: numbered `blocks.N` that match no known naming. Blocks listed out of order on purpose. */
export function vitTensors(): NamedShape[] {
  const spec: Spec = [['cls_token', [1, 1, 192]], ['pos_embed', [1, 197, 192]], ['patch_embed.proj.weight', [192, 3, 16, 16]]];
  for (const i of [0, 10, 2, 1]) {
    spec.push(
      [`blocks.${i}.norm1.weight`, [192]],
      [`blocks.${i}.attn.qkv.weight`, [576, 192]],
      [`blocks.${i}.attn.proj.weight`, [192, 192]],
      [`blocks.${i}.mlp.fc1.weight`, [768, 192]],
      [`blocks.${i}.mlp.fc2.weight`, [192, 768]],
    );
  }
  spec.push(['norm.weight', [192]], ['head.weight', [1000, 192]]);
  return toTensors(spec);
}
