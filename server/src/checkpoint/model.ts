// The checkpoint model: what a checkpoint is once its files are understood.
// Built from format readers; holds only headers and byte locations, never values.
import type { TensorRef } from '../formats/types.ts';

export type MomentName = 'exp_avg' | 'exp_avg_sq';

export interface CheckpointTensor extends TensorRef {
  /** Adam moments attached to this parameter, when the checkpoint has optimizer state. */
  moments: Partial<Record<MomentName, TensorRef>>;
}

export interface OptimizerInfo {
  /** `adam` covers Adam and AdamW: their state dicts are indistinguishable. */
  kind: 'adam' | 'unknown';
  /** Where the state came from: an optimizer.pt file, or moment tensors inside safetensors. */
  source: string;
  step: number | null;
  /** Parameters whose moments were attached. */
  matched: number;
  /** Hyper-parameters of the first parameter group (lr, betas, eps, weight_decay, ...). */
  hyperParameters: Record<string, unknown>;
}

export type CheckpointFormat = 'safetensors' | 'safetensors-sharded' | 'torch' | 'trainer';

export interface Checkpoint {
  /** The path the user gave, resolved. */
  path: string;
  format: CheckpointFormat;
  /** Format of the weights inside a trainer directory (same as `format` otherwise). */
  weightsFormat: Exclude<CheckpointFormat, 'trainer'>;
  /** Files holding the weights, in order. */
  files: string[];
  /** Parameters (weights), in model order. Moment tensors stored beside them are attached, not listed. */
  tensors: CheckpointTensor[];
  metadata: Record<string, string>;
  optimizer: OptimizerInfo | null;
  /** Training step: from trainer_state.json, else the directory name `checkpoint-N`, else the optimizer. */
  step: number | null;
  /** trainer_state.json as parsed, when present (kept for restore). */
  trainerState: unknown;
}

export interface CheckpointSeries {
  path: string;
  /** `checkpoint-N` directories ordered by N. */
  checkpoints: Array<{ step: number; path: string }>;
}
