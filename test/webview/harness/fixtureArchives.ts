// Real compress results of the tiny-llama fixtures (server/src/compress on the CPU backend, in
// process, as the server's worker runs it): step 200 against step 100 (one ExCP entry) and the whole
// run as a series archive (step 100 lossless, 200 and 300 as ExCP residuals). Made once per test process.
import { join } from 'node:path';
import { CpuBackend } from '../../../kernels/src/cpu/cpuBackend.ts';
import { compress, type CompressSummary } from '../../../server/src/compress/compress.ts';
import { DEFAULT_EXCP } from '../../../server/src/compress/options.ts';
import { makeTempDir } from '../../helpers/tempDir.ts';
import { fixturePath } from './fixtureReports.ts';

const memo = new Map<string, Promise<CompressSummary>>();
let dir: ReturnType<typeof makeTempDir> | undefined;

function run(name: string, source: string, reference?: string): Promise<CompressSummary> {
  let p = memo.get(name);
  if (!p) {
    dir ??= makeTempDir('ckpt-lens-webview-archives-');
    const output = join(dir.dir, name);
    p = (async () => {
      const backend = new CpuBackend({ threads: 1 });
      try {
        return await compress({ source, reference, output, mode: 'excp', params: DEFAULT_EXCP, backend, progress: () => {} });
      } finally {
        await backend.dispose();
      }
    })();
    memo.set(name, p);
  }
  return p;
}

/** checkpoint-200 against checkpoint-100, ExCP with the default parameters. */
export function step200Archive(): Promise<CompressSummary> {
  return run('checkpoint-200.ckpz', fixturePath(200), fixturePath(100));
}

/** The run directory (steps 100, 200, 300) as one series archive. */
export function runArchive(): Promise<CompressSummary> {
  return run('tiny-llama.ckpz', join(fixturePath(100), '..'));
}

/** Removes the archives (call once the tests are done). */
export async function removeArchives(): Promise<void> {
  await dir?.remove();
  dir = undefined;
  memo.clear();
}
