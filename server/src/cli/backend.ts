// The compute backend for a CLI run, from --backend (auto | webgpu | cpu). The chosen backend and
// why are printed on stderr, so every figure can be traced to the device that computed it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_CHOICES, createBackend, type BackendChoice, type CreatedBackend } from '../../../kernels/src/index.ts';
import { UsageError } from './errors.ts';

export function parseBackend(value: unknown): BackendChoice {
  const v = (value ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(v)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, not '${String(value)}'`);
  return v;
}

/** The bundled CPU worker sits beside the bundle (dist/kernelWorker.js); from source the kernels find their own. */
function bundledWorker(): string | undefined {
  const p = join(__dirname, 'kernelWorker.js');
  return existsSync(p) ? p : undefined;
}

export async function openBackend(choice: BackendChoice, quiet = false): Promise<CreatedBackend> {
  const created = await createBackend({
    backend: choice,
    cpuWorkerScript: bundledWorker(),
    log: { info: () => {}, warn: (m) => process.stderr.write(`ckpt-lens: ${m}\n`) },
  });
  if (!quiet) process.stderr.write(`ckpt-lens: compute: ${created.description}\n`);
  return created;
}
