// `ckpt-lens`: the headless front end. A thin shell over the libraries; each subcommand in its own file.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runInspect } from './inspect.ts';
import { EXIT_OK, reportError, UsageError } from './errors.ts';

const USAGE = `usage: ckpt-lens <command> [options]

commands:
  inspect PATH [--json] [--mapping FILE]
      List tensors (name, dtype, shape, elements, bytes, shard file) and attached Adam moments.
      PATH: a .safetensors file, a model.safetensors.index.json, a .bin/.pt state dict,
      a Trainer checkpoint-N/ directory, or a run directory of checkpoint-N/ directories.
      --mapping FILE  JSON mapping optimizer parameter index -> tensor name (array or object).

global options:
  --debug    print stack traces
  --help     this text
  --version  the version`;

interface Command {
  options: NonNullable<ParseArgsConfig['options']>;
  positionals: number;
  run(positionals: string[], values: Record<string, unknown>): Promise<string>;
}

const COMMANDS: Record<string, Command> = {
  inspect: {
    options: { json: { type: 'boolean' }, mapping: { type: 'string' } },
    positionals: 1,
    run: (p, v) => runInspect(p[0]!, { json: v.json === true, mapping: v.mapping as string | undefined }),
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
    await new Promise<void>((res) => process.stdout.write(`${out}\n`, () => res()));
    return EXIT_OK;
  } catch (e) {
    return reportError(e, debug);
  }
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';
