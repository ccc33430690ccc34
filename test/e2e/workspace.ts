// The workspace a user would have: a training run directory (the tiny-llama fixture, three Trainer
// checkpoints with Adam moments) as run/, and a Python script that names tensors of it.
import { cpSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_RUN = 'test/fixtures/tiny-llama';
export const STEPS = [100, 200, 300] as const;

/** Tensors the scenarios use; the script names them the ways people do. */
export const HOVER_TENSOR = 'model.layers.0.mlp.down_proj.weight';
export const ZERO_POINT_TENSOR = 'model.layers.1.mlp.up_proj.weight';

const SCRIPT = `# Look at a few tensors of the run before pruning it.
from safetensors.torch import load_file

state = load_file("run/checkpoint-300/model.safetensors")
down = state["${HOVER_TENSOR}"]
up = state["${ZERO_POINT_TENSOR}"]
print(down.shape, up.shape, state["model.embed_tokens.weight"].std())
`;

export interface Workspace {
  dir: string;
  run: string;
  script: string;
  /** run/checkpoint-N */
  checkpoint(step: number): string;
}

/** Writes the workspace under `dir`. Checkpoints get increasing modification times, as training writes them. */
export function makeWorkspace(dir: string): Workspace {
  const run = join(dir, 'run');
  cpSync(FIXTURE_RUN, run, { recursive: true });
  const now = Date.now() / 1000;
  STEPS.forEach((step, i) => {
    const t = now - 3600 * (STEPS.length - i);
    const ck = join(run, `checkpoint-${step}`);
    for (const f of ['model.safetensors', 'optimizer.pt', 'trainer_state.json']) utimesSync(join(ck, f), t, t);
    utimesSync(ck, t, t);
  });
  const script = join(dir, 'inspect_run.py');
  writeFileSync(script, SCRIPT);
  return { dir, run, script, checkpoint: (step) => join(run, `checkpoint-${step}`) };
}
