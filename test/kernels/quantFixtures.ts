// Fixture access for the kernel tests of quantization, k-means and ExCP: a training checkpoint's
// weights and Adam moments as float32, read through the project's own readers, and the PyTorch
// reference numbers (test/fixtures/reference/*.json).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openSafetensorsCheckpoint } from '../../server/src/formats/safetensors/sharded.ts';
import { readOptimizerStateDict } from '../../server/src/formats/torch/reader.ts';
import { readTensorFloat32 } from '../../server/src/formats/tensorData.ts';
import type { TensorRef } from '../../server/src/formats/types.ts';

export interface FixtureTensor {
  name: string;
  shape: number[];
  weight: TensorRef;
  exp_avg: TensorRef;
  exp_avg_sq: TensorRef;
}

/** Parameters of `test/fixtures/<set>/<checkpoint>`: parameter i of the optimizer is tensor i of the model. */
export async function fixtureTensors(set: string, checkpoint: string): Promise<FixtureTensor[]> {
  const dir = resolve(`test/fixtures/${set}/${checkpoint}`);
  const model = await openSafetensorsCheckpoint(dir);
  const optim = await readOptimizerStateDict(resolve(dir, 'optimizer.pt'));
  return model.tensors.map((weight, i) => {
    const st = optim.state.get(i);
    if (!st?.exp_avg || !st.exp_avg_sq) throw new Error(`${dir}: no Adam state for parameter ${i} (${weight.name})`);
    if (st.exp_avg.numel !== weight.numel) throw new Error(`${dir}: parameter ${i} (${weight.name}) does not match its optimizer state`);
    return { name: weight.name, shape: weight.shape, weight, exp_avg: st.exp_avg, exp_avg_sq: st.exp_avg_sq };
  });
}

export const readF32 = readTensorFloat32;

export interface ReferenceQuant {
  rel_err: number;
  update_rel_err?: number;
  zero_frac?: number;
}

export interface ReferenceTensor {
  exp_avg_b128_de4?: ReferenceQuant;
  exp_avg_sq_rank1_lin0_4?: ReferenceQuant;
  exp_avg_sq_b128_de4?: ReferenceQuant;
  exp_avg_sq_b128_de0_4?: ReferenceQuant;
  excp_default?: { kept_w: number; kept_m: number; threshold_w: number };
}

export interface Reference {
  tensors: Record<string, ReferenceTensor>;
  excp_default_total?: { kept_w: number; kept_m: number; numel: number; ref: string };
}

export function reference(set: string, checkpoint: string): Reference {
  return JSON.parse(readFileSync(resolve(`test/fixtures/reference/${set}-${checkpoint}.json`), 'utf8')) as Reference;
}

/** |a - b| / |b|, or |a| when b = 0. */
export function relDiff(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}
