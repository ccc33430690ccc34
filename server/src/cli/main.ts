// `ckpt-lens`: the headless front end. A thin shell over the libraries; each subcommand in its own file.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runInspect } from './inspect.ts';
import { runAnalyze, type AnalyzeArgs } from './analyze.ts';
import { parseBackend } from './backend.ts';
import { parseCriterion, parseStrategy, parseTarget, runPrune, runPrunePlan } from './prunePlan.ts';
import { EXIT_BAD_INPUT, EXIT_OK, reportError, UsageError } from './errors.ts';
import { COMPRESS_OPTIONS, runCompress, runRecover, runRestore, runVerify } from './compress.ts';

const USAGE = `usage: ckpt-lens <command> [options]

commands:
  inspect PATH [--json] [--mapping FILE]
      List tensors (name, dtype, shape, elements, bytes, shard file) and attached Adam moments.
      PATH: a .safetensors file, a model.safetensors.index.json, a .bin/.pt state dict,
      a Trainer checkpoint-N/ directory, or a run directory of checkpoint-N/ directories.
      --mapping FILE  JSON mapping optimizer parameter index -> tensor name (array or object).

  analyze PATH [--ref PATH] [--backend auto|webgpu|cpu] [--json] [--tensor NAME]... [--outlier-k K]
      Per-tensor statistics, histograms, quantization error table, zero-point effect, outliers,
      pruning error curves (and ExCP kept counts against --ref); per-layer table or --json.
      Results are cached by file identity (--no-cache to recompute; --cache-dir DIR).

  prune-plan PATH --target 0.5 [--criterion magnitude|taylor|obd|excp]
                  [--strategy error-optimal|uniform|owl] [--json]
      Per-layer pruning ratios for a global sparsity; --json output is a plan file for prune.

  prune PATH --plan plan.json -o OUT
      Writes the pruned checkpoint (same layout and dtypes), atomically.

  serve --stdio
      The language server (hovers on tensor names, diagnostics, the checkpointLens/* requests) over
      stdin/stdout, for any LSP editor.

  compress PATH [--ref PREV] -o ARCHIVE.ckpz [--mode excp|lossless] [--alpha A] [--beta B]
                [--bits N] [--bits-moments N] [--paper-exact] [--append] [--json]
                [--target-ratio R | --max-rel-err E]
      PATH a checkpoint: ExCP against --ref PREV (lossless without one, or with --mode lossless).
      PATH a run directory: every checkpoint-N in step order, the first lossless, each later one
      ExCP against the RESTORED previous one; --append adds the new checkpoints to ARCHIVE in place.
      Pruned exp_avg_sq entries restore from a factorized estimate (--paper-exact: as 0).
      --target-ratio / --max-rel-err search alpha per entry to meet the target and report it.

  restore ARCHIVE [--step N] [--ref PREV] -o DIR [--json]
      Writes the checkpoint of step N (default: the last) in its original layout.

  verify ARCHIVE [--against CKPT] [--ref PREV] [--step N] [--json]
      Checks every checksum and decodes every entry (lossless entries: bit-exact against the CRC32
      of the original files); with --against, per-tensor errors against the original checkpoint.
      Exits 2 when anything is wrong.

  recover ARCHIVE [--dry-run]
      An archive whose last append was interrupted (killed mid-write) is refused on open; this cuts
      it back to its last complete state (the earlier entries stay intact).

global options:
  --backend B  compute backend: auto (WebGPU on a hardware GPU, else CPU), webgpu, cpu
  --debug    print stack traces
  --help     this text
  --version  the version`;

interface Command {
  options: NonNullable<ParseArgsConfig['options']>;
  positionals: number;
  /** the text to print, or the text and the exit code (verify fails with 2 after printing its report) */
  run(positionals: string[], values: Record<string, unknown>): Promise<string | { text: string; ok: boolean }>;
}

const ANALYZE_OPTIONS = {
  json: { type: 'boolean' },
  ref: { type: 'string' },
  backend: { type: 'string' },
  tensor: { type: 'string', multiple: true },
  'outlier-k': { type: 'string' },
  'no-cache': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  mapping: { type: 'string' },
} as const;

function analyzeArgs(path: string, v: Record<string, unknown>): AnalyzeArgs {
  const k = v['outlier-k'] === undefined ? undefined : Number(v['outlier-k']);
  if (k !== undefined && !(k > 0)) throw new UsageError('--outlier-k must be a positive number');
  return {
    path,
    ref: v.ref as string | undefined,
    backend: parseBackend(v.backend),
    json: v.json === true,
    tensors: v.tensor as string[] | undefined,
    outlierK: k,
    noCache: v['no-cache'] === true,
    cacheDir: v['cache-dir'] as string | undefined,
    mapping: v.mapping as string | undefined,
  };
}

const COMMANDS: Record<string, Command> = {
  inspect: {
    options: { json: { type: 'boolean' }, mapping: { type: 'string' } },
    positionals: 1,
    run: (p, v) => runInspect(p[0]!, { json: v.json === true, mapping: v.mapping as string | undefined }),
  },
  analyze: {
    options: ANALYZE_OPTIONS,
    positionals: 1,
    run: (p, v) => runAnalyze(analyzeArgs(p[0]!, v)),
  },
  'prune-plan': {
    options: { ...ANALYZE_OPTIONS, target: { type: 'string' }, criterion: { type: 'string' }, strategy: { type: 'string' }, structured: { type: 'boolean' } },
    positionals: 1,
    run: (p, v) => runPrunePlan({ ...analyzeArgs(p[0]!, v), target: parseTarget(v.target), criterion: parseCriterion(v.criterion), strategy: parseStrategy(v.strategy), structured: v.structured === true }),
  },
  serve: {
    options: { stdio: { type: 'boolean' } },
    positionals: 0,
    run: async (_p, v) => {
      if (v.stdio !== true) throw new UsageError('serve needs --stdio (the transport it speaks)');
      // Loaded on demand: the other commands do not pay for the language server's modules.
      return (await import('../lsp/serve.ts')).serveStdio();
    },
  },
  prune: {
    options: { plan: { type: 'string' }, out: { type: 'string', short: 'o' }, json: { type: 'boolean' }, mapping: { type: 'string' } },
    positionals: 1,
    run: (p, v) => {
      if (typeof v.plan !== 'string' || typeof v.out !== 'string') throw new UsageError('prune needs --plan FILE and -o OUT');
      return runPrune({ path: p[0]!, plan: v.plan, out: v.out, json: v.json === true, mapping: v.mapping as string | undefined });
    },
  },
  compress: {
    options: COMPRESS_OPTIONS,
    positionals: 1,
    run: (p, v) => runCompress(p[0]!, v, parseBackend(v.backend)),
  },
  restore: {
    options: { out: { type: 'string', short: 'o' }, step: { type: 'string' }, ref: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 1,
    run: (p, v) => runRestore(p[0]!, v),
  },
  verify: {
    options: { against: { type: 'string' }, ref: { type: 'string' }, step: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 1,
    run: (p, v) => runVerify(p[0]!, v),
  },
  recover: {
    options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: 1,
    run: (p, v) => runRecover(p[0]!, v),
  },
};

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const [name, ...rest] = argv.filter((a) => a !== '--debug');
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return name === undefined ? 2 : EXIT_OK;
    }
    if (name === '--version') {
      process.stdout.write(`${VERSION}\n`);
      return EXIT_OK;
    }
    const cmd = COMMANDS[name];
    if (!cmd) throw new UsageError(`unknown command '${name}' (try --help)`);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if ((parsed.values as Record<string, unknown>).help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    if (parsed.positionals.length !== cmd.positionals) throw new UsageError(`${name} takes ${cmd.positionals} path argument(s) (try --help)`);
    const out = await cmd.run(parsed.positionals, parsed.values);
    const text = typeof out === 'string' ? out : out.text;
    await new Promise<void>((res) => process.stdout.write(`${text}\n`, () => res()));
    return typeof out === 'string' || out.ok ? EXIT_OK : EXIT_BAD_INPUT;
  } catch (e) {
    return reportError(e, debug);
  }
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';
