// How a tensor name places a tensor in the model: inside a numbered block, or in a named role.
// Names only; shapes are never consulted here.

export type NamedRole = 'embeddings' | 'head' | 'final_norm';

export interface BlockPosition {
  /** The container path before the index, e.g. `model.layers`, `transformer.h`, `bert.encoder.layer`. */
  stack: string;
  index: number;
  /** Name prefix shared by every tensor of the block, e.g. `model.layers.3.`. */
  prefix: string;
}

// Module names (one dot-separated segment, compared lower-case) that mark a role outside the blocks.
// The outermost matching segment decides: `cls.predictions.transform.LayerNorm` is head, not a norm;
// `bert.embeddings.LayerNorm` belongs to the embeddings.
const ROLE_SEGMENTS: ReadonlyMap<string, NamedRole> = new Map<string, NamedRole>([
  ...['embed_tokens', 'embed_positions', 'embed_in', 'wte', 'wpe', 'word_embeddings', 'position_embeddings',
    'token_type_embeddings', 'embeddings', 'tok_embeddings', 'shared', 'patch_embed', 'pos_embed', 'cls_token'].map((s) => [s, 'embeddings'] as const),
  ...['lm_head', 'embed_out', 'cls', 'output', 'head', 'classifier', 'score', 'pooler', 'qa_outputs'].map((s) => [s, 'head'] as const),
  ...['norm', 'ln_f', 'final_layer_norm', 'final_layernorm', 'final_norm', 'norm_f', 'post_layernorm'].map((s) => [s, 'final_norm'] as const),
]);

/** Module names of token embeddings (rows = vocabulary), as opposed to position or type embeddings. */
export const TOKEN_EMBEDDING_SEGMENTS: ReadonlySet<string> = new Set(['embed_tokens', 'embed_in', 'wte', 'word_embeddings', 'tok_embeddings', 'shared']);

/** Module names of output projections onto the vocabulary. */
export const VOCAB_HEAD_SEGMENTS: ReadonlySet<string> = new Set(['lm_head', 'embed_out', 'decoder', 'output']);

const INDEX_SEGMENT = /^\d+$/;

/**
 * The first all-digit segment that has a container before it and a parameter after it
 * (`<container>.<int>.<rest>`) marks a block. That one rule covers `model.layers.N`, `gpt_neox.layers.N`,
 * `transformer.h.N`, `bert.encoder.layer.N`, `model.decoder.layers.N`, `blocks.N` and the like.
 * A numbered container inside a named role (`classifier.0.weight`) is that role, not a block.
 */
export function blockPosition(name: string): BlockPosition | null {
  const segments = name.split('.');
  for (let i = 1; i < segments.length - 1; i++) {
    if (!INDEX_SEGMENT.test(segments[i])) continue;
    const index = Number(segments[i]);
    const container = segments.slice(0, i);
    if (!Number.isSafeInteger(index) || container.some((s) => ROLE_SEGMENTS.has(s.toLowerCase()))) return null;
    return { stack: container.join('.'), index, prefix: `${segments.slice(0, i + 1).join('.')}.` };
  }
  return null;
}

/** The role of a tensor outside the blocks, or null when its name matches none. */
export function namedRole(name: string): NamedRole | null {
  for (const segment of name.split('.')) {
    const role = ROLE_SEGMENTS.get(segment.toLowerCase());
    if (role) return role;
  }
  return null;
}

/** The module path of a parameter: its name without the last segment (`weight`, `bias`, ...). */
export function modulePath(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}
