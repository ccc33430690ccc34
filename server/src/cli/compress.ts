// `ckpt-lens compress | restore | verify`: thin shells over server/src/compress/, with a progress bar,
// Ctrl-C cancelling cleanly (no archive or output left behind), and --json summaries.
import { recoverArchive } from '../compress/archive/archive.ts';
import { compress, type CompressSummary } from '../compress/compress.ts';
import { DEFAULT_EXCP, type CompressMode } from '../compress/options.ts';
import { restore } from '../compress/restore.ts';
import { verify, type VerifyReport } from '../compress/verify.ts';
import { openBackend } from './backend.ts';
import { UsageError } from './errors.ts';
import { formatBytes } from './format.ts';
import { progressBar } from './progress.ts';
import { CpuBackend, type BackendChoice } from '../../../kernels/src/index.ts';

export const COMPRESS_OPTIONS = {
  out: { type: 'string', short: 'o' },
  ref: { type: 'string' },
  mode: { type: 'string' },
  alpha: { type: 'string' },
  beta: { type: 'string' },
  bits: { type: 'string' },
  'bits-moments': { type: 'string' },
  'paper-exact': { type: 'boolean' },
  'target-ratio': { type: 'string' },
  'max-rel-err': { type: 'string' },
  append: { type: 'boolean' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function num(v: unknown, name: string, ok: (x: number) => boolean, fallback: number): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!ok(x)) throw new UsageError(`--${name}: '${String(v)}' is out of range`);
  return x;
}

/** Cancels `run` on Ctrl-C: the libraries clean up on abort (temporary files are removed). */
async function cancellable<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onInt = () => {
    process.stderr.write('\nckpt-lens: cancelling…\n');
    ac.abort(new Error('cancelled by the user'));
  };
  process.once('SIGINT', onInt);
  try {
    return await run(ac.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
}

/** One entry's figures at the top level (a single checkpoint), the list for a run. */
function summaryJson(s: CompressSummary): unknown {
  const top = s.entries.length === 1 ? (({ step: _s, name: _n, mode: _m, ...rest }) => rest)(s.entries[0]!) : {};
  return { ...top, ...s };
}

function summaryText(s: CompressSummary): string {
  const lines = s.entries.map((e) => {
    const kept = e.kept_w === null ? '' : `, kept ${(100 * e.kept_w).toFixed(1)}% of weights${e.kept_m === null ? '' : ` and ${(100 * e.kept_m).toFixed(1)}% of moments`}`;
    const upd = e.update_rel_err === null ? '' : `, restored v update_rel_err ${e.update_rel_err.toFixed(4)}`;
    const rc = e.rate_control ? `; rate control chose alpha ${e.rate_control.alpha.toExponential(3)}${e.rate_control.met ? '' : ' (target NOT met: closest found)'}` : '';
    return `  ${e.name} (step ${e.step ?? '?'}): ${e.mode}, ${formatBytes(e.orig_bytes)} -> ${formatBytes(e.compressed_bytes)} (${e.ratio.toFixed(1)}x)${kept}${upd}${rc}`;
  });
  return [`wrote ${s.archive}: ${formatBytes(s.orig_bytes)} -> ${formatBytes(s.compressed_bytes)} (${s.ratio.toFixed(2)}x) in ${s.seconds.toFixed(1)} s`, ...lines].join('\n');
}

export async function runCompress(path: string, v: Record<string, unknown>, backendChoice: BackendChoice): Promise<string> {
  if (typeof v.out !== 'string') throw new UsageError('compress needs -o ARCHIVE');
  const mode = (v.mode ?? 'excp') as CompressMode;
  if (mode !== 'excp' && mode !== 'lossless') throw new UsageError('--mode must be excp or lossless');
  const params = {
    alpha: num(v.alpha, 'alpha', (x) => x > 0, DEFAULT_EXCP.alpha),
    beta: num(v.beta, 'beta', (x) => x >= 0, DEFAULT_EXCP.beta),
    bits: num(v.bits, 'bits', (x) => Number.isInteger(x) && x >= 1 && x <= 8, DEFAULT_EXCP.bits),
    bitsMoments: num(v['bits-moments'], 'bits-moments', (x) => Number.isInteger(x) && x >= 1 && x <= 8, DEFAULT_EXCP.bitsMoments),
    paperExact: v['paper-exact'] === true,
  };
  if (v['target-ratio'] !== undefined && v['max-rel-err'] !== undefined) throw new UsageError('give --target-ratio or --max-rel-err, not both');
  const rate = {
    targetRatio: v['target-ratio'] === undefined ? undefined : num(v['target-ratio'], 'target-ratio', (x) => x > 1, 0),
    maxRelErr: v['max-rel-err'] === undefined ? undefined : num(v['max-rel-err'], 'max-rel-err', (x) => x > 0, 0),
  };
  // Lossless coding runs no kernels: no need to probe for a GPU.
  const { backend } = mode === 'lossless' ? { backend: new CpuBackend({ threads: 1 }) } : await openBackend(backendChoice, v.json === true);
  const bar = progressBar('compress');
  try {
    const s = await cancellable((signal) => compress({ source: path, reference: v.ref as string | undefined, output: v.out as string, mode, params, rate, append: v.append === true, backend, signal, progress: (d, m) => bar.update(d, 1, m) }));
    bar.done();
    return v.json === true ? JSON.stringify(summaryJson(s), null, 1) : summaryText(s);
  } finally {
    bar.done();
    await backend.dispose();
  }
}

export async function runRestore(archive: string, v: Record<string, unknown>): Promise<string> {
  if (typeof v.out !== 'string') throw new UsageError('restore needs -o DIR');
  const step = v.step === undefined ? undefined : num(v.step, 'step', Number.isInteger, 0);
  const bar = progressBar('restore');
  try {
    const r = await cancellable((signal) => restore({ archive, step, reference: v.ref as string | undefined, output: v.out as string, signal, progress: (d, m) => bar.update(d, 1, m) }));
    bar.done();
    return v.json === true ? JSON.stringify(r, null, 1) : `restored step ${r.step ?? '?'} (${r.name}) to ${r.output} in ${r.seconds.toFixed(1)} s`;
  } finally {
    bar.done();
  }
}

function verifyText(r: VerifyReport): string {
  const lines = [`${r.ok ? 'OK' : 'FAILED'}: ${r.archive}: ${r.sections} sections checked, ${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'}`];
  for (const e of r.entries) lines.push(`  ${e.name} (step ${e.step ?? '?'}): ${e.mode}${e.bitExact === undefined ? '' : e.bitExact ? ', bit-exact' : ', NOT bit-exact'}${e.maxRelErr === undefined ? '' : `, max per-tensor rel. error ${e.maxRelErr.toExponential(3)}`}`);
  for (const m of r.errors) lines.push(`  error: ${m}`);
  return lines.join('\n');
}

export async function runVerify(archive: string, v: Record<string, unknown>): Promise<{ text: string; ok: boolean }> {
  const step = v.step === undefined ? undefined : num(v.step, 'step', Number.isInteger, 0);
  const bar = progressBar('verify');
  try {
    const r = await cancellable((signal) => verify({ archive, against: v.against as string | undefined, reference: v.ref as string | undefined, step, signal, progress: (d, m) => bar.update(d, 1, m) }));
    bar.done();
    return { text: v.json === true ? JSON.stringify(r, null, 1) : verifyText(r), ok: r.ok };
  } finally {
    bar.done();
  }
}

/** `ckpt-lens recover ARCHIVE [--dry-run]`: cuts an archive whose last append was interrupted back to its last complete state. */
export async function runRecover(archive: string, v: Record<string, unknown>): Promise<string> {
  const r = await recoverArchive(archive, { dryRun: v['dry-run'] === true });
  if (v.json === true) return JSON.stringify(r, null, 1);
  if (r.status === 'intact') return `${archive} is complete (${r.entries} entries); nothing to do`;
  const verb = v['dry-run'] === true ? 'would cut' : 'cut';
  return `${verb} ${archive} back to its last complete state: ${r.entries} entries, ${r.size} bytes (${r.originalSize - r.size} bytes of an interrupted append dropped)`;
}
