// The naming conventions of the architecture families Checkpoint Lens knows, as module paths inside a
// block (Hugging Face transformers names). One table serves detection, shape inference and structured groups.

export type ArchitectureFamily = 'llama' | 'gpt-neox' | 'gpt2' | 'bert' | 'generic';
export type KnownFamily = Exclude<ArchitectureFamily, 'generic'>;

/** How a family stores attention projections. */
export type AttentionLayout =
  /** Separate q/k/v projections (`[out, in]` Linear weights); k/v may have fewer rows (GQA/MQA). */
  | { kind: 'separate'; q: string; k: string; v: string; o: string }
  /** One fused projection whose output rows are laid out `[heads, 3, head_dim]` (GPT-NeoX: the forward
   *  pass views the qkv output as `(num_heads, 3 * head_size)` and splits the last axis into q, k, v). */
  | { kind: 'fused-per-head'; qkv: string; o: string }
  /** GPT-2 `Conv1D`: weights are `[in, out]`; `c_attn` output columns are `[q | k | v]`, each `[heads, head_dim]`. */
  | { kind: 'fused-blocks-transposed'; qkv: string; o: string };

export interface MlpLayout {
  /** Projections into the MLP width whose output channels are coupled (gate and up for SwiGLU). */
  into: readonly string[];
  /** Projection out of the MLP width. */
  out: string;
  /** True for GPT-2 `Conv1D`, whose weights are `[in, out]`. */
  transposed: boolean;
}

export interface FamilyLayout {
  family: KnownFamily;
  /** What users call it, for evidence strings. */
  label: string;
  attention: AttentionLayout;
  mlp: MlpLayout;
}

export const FAMILY_LAYOUTS: readonly FamilyLayout[] = [
  {
    family: 'llama',
    label: 'LLaMA/Mistral/Qwen-style',
    attention: { kind: 'separate', q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj' },
    mlp: { into: ['mlp.gate_proj', 'mlp.up_proj'], out: 'mlp.down_proj', transposed: false },
  },
  {
    family: 'gpt-neox',
    label: 'GPT-NeoX',
    attention: { kind: 'fused-per-head', qkv: 'attention.query_key_value', o: 'attention.dense' },
    mlp: { into: ['mlp.dense_h_to_4h'], out: 'mlp.dense_4h_to_h', transposed: false },
  },
  {
    family: 'gpt2',
    label: 'GPT-2',
    attention: { kind: 'fused-blocks-transposed', qkv: 'attn.c_attn', o: 'attn.c_proj' },
    mlp: { into: ['mlp.c_fc'], out: 'mlp.c_proj', transposed: true },
  },
  {
    family: 'bert',
    label: 'BERT',
    attention: { kind: 'separate', q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', o: 'attention.output.dense' },
    mlp: { into: ['intermediate.dense'], out: 'output.dense', transposed: false },
  },
];

export function familyLayout(family: ArchitectureFamily): FamilyLayout | undefined {
  return FAMILY_LAYOUTS.find((layout) => layout.family === family);
}

/** Every module path a family's blocks must hold, in a fixed order. */
export function familyModules(layout: FamilyLayout): string[] {
  const a = layout.attention;
  const attention = a.kind === 'separate' ? [a.q, a.k, a.v, a.o] : [a.qkv, a.o];
  return [...attention, ...layout.mlp.into, layout.mlp.out];
}
