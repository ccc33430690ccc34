// The compression mode and ExCP parameters of Compress Checkpoint…: remembered from the last run
// (globalState), else the settings' defaults; the first item of each pick is what was used last, so
// Enter repeats it. A rate target (a compression ratio, or a bound on the weight error) lets the server
// search alpha instead.
import type { CompressionDefaults, CompressionMode } from '../../../server/src/settings.ts';
import type { PickEntry, Ui } from '../ui/ui.ts';

export const REMEMBERED_KEY = 'checkpointLens.compress.last';

export interface ExcpChoice {
  alpha: number;
  beta: number;
  bits: number;
  bitsMoments: number;
  /** the server searches alpha to reach about this ratio */
  targetRatio?: number;
  /** the server searches alpha to keep the relative weight error under this */
  maxRelErr?: number;
}

export interface RememberedCompression {
  mode: CompressionMode;
  excp: ExcpChoice;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const valid = {
  alpha: (x: number) => x > 0,
  beta: (x: number) => x >= 0,
  bits: (x: number) => Number.isInteger(x) && x >= 1 && x <= 8,
  targetRatio: (x: number) => x > 1,
  maxRelErr: (x: number) => x > 0 && x < 1,
};

/** What globalState holds, checked field by field: anything missing or bad is the settings' default. */
export function readRemembered(raw: unknown, defaults: CompressionDefaults): RememberedCompression {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const x = (typeof o.excp === 'object' && o.excp !== null ? o.excp : {}) as Record<string, unknown>;
  const num = (v: unknown, ok: (n: number) => boolean, fallback: number) => (isNum(v) && ok(v) ? v : fallback);
  const excp: ExcpChoice = {
    alpha: num(x.alpha, valid.alpha, defaults.alpha),
    beta: num(x.beta, valid.beta, defaults.beta),
    bits: num(x.bits, valid.bits, defaults.bits),
    bitsMoments: num(x.bitsMoments, valid.bits, defaults.bitsMoments),
  };
  if (isNum(x.targetRatio) && valid.targetRatio(x.targetRatio)) excp.targetRatio = x.targetRatio;
  else if (isNum(x.maxRelErr) && valid.maxRelErr(x.maxRelErr)) excp.maxRelErr = x.maxRelErr;
  return { mode: o.mode === 'lossless' || o.mode === 'excp' ? o.mode : defaults.mode, excp };
}

export function formatNumber(x: number): string {
  return Math.abs(x) >= 1e-3 || x === 0 ? String(Number(x.toPrecision(4))) : x.toExponential();
}

/** `α 5e-5 · β 2 · 4-bit residuals · 4-bit moments`, or `aim for 10× · β 2 · …` with a rate target. */
export function describeChoice(c: ExcpChoice): string {
  const head = c.targetRatio !== undefined ? `aim for ${formatNumber(c.targetRatio)}×` : c.maxRelErr !== undefined ? `weight error under ${formatNumber(c.maxRelErr)}` : `α ${formatNumber(c.alpha)}`;
  return `${head} · β ${formatNumber(c.beta)} · ${c.bits}-bit residuals · ${c.bitsMoments}-bit moments`;
}

const sameChoice = (a: ExcpChoice, b: ExcpChoice) => describeChoice(a) === describeChoice(b);

export async function pickMode(ui: Ui, title: string, remembered: CompressionMode, series: boolean): Promise<CompressionMode | undefined> {
  const items: PickEntry<CompressionMode>[] = [
    {
      label: 'ExCP',
      description: 'lossy, about 10× or more',
      detail: series ? 'the first checkpoint lossless, each later one as pruned, quantized residuals of the one before' : 'weight residuals against the reference pruned and quantized; Adam moments pruned and quantized',
      value: 'excp',
    },
    { label: 'Lossless', description: 'bit-exact', detail: 'entropy-coded bytes, XOR against the reference when there is one', value: 'lossless' },
  ];
  for (const item of items) if ('value' in item && item.value === remembered) item.picked = true;
  return ui.pick(items, { title: `${title}: mode`, placeholder: 'How to compress' });
}

function parseNumber(text: string, ok: (x: number) => boolean, what: string): { value?: number; error?: string } {
  const v = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(v) || !ok(v)) return { error: `Enter ${what}` };
  return { value: v };
}

async function askNumber(ui: Ui, title: string, prompt: string, value: number, ok: (x: number) => boolean, what: string): Promise<number | undefined> {
  const text = await ui.input({ title, prompt, value: formatNumber(value), validate: (t) => parseNumber(t, ok, what).error });
  return text === undefined ? undefined : parseNumber(text, ok, what).value;
}

type ParamsAction = { kind: 'use'; choice: ExcpChoice } | { kind: 'ratio' } | { kind: 'error' } | { kind: 'custom' };

/** The ExCP parameters: last used (or the settings' defaults) first, a rate target, or each value by hand. */
export async function pickParameters(ui: Ui, title: string, remembered: ExcpChoice, defaults: CompressionDefaults): Promise<ExcpChoice | undefined> {
  const fromSettings: ExcpChoice = { alpha: defaults.alpha, beta: defaults.beta, bits: defaults.bits, bitsMoments: defaults.bitsMoments };
  const items: PickEntry<ParamsAction>[] = [{ label: describeChoice(remembered), description: sameChoice(remembered, fromSettings) ? 'defaults from settings' : 'last used', value: { kind: 'use', choice: remembered } }];
  if (!sameChoice(remembered, fromSettings)) items.push({ label: describeChoice(fromSettings), description: 'defaults from settings', value: { kind: 'use', choice: fromSettings } });
  items.push(
    { label: 'Aim for a compression ratio…', detail: 'the server searches α for it', value: { kind: 'ratio' } },
    { label: 'Keep the weight error under…', detail: 'the server searches α for it', value: { kind: 'error' } },
    { label: 'Set α, β and bits…', value: { kind: 'custom' } },
  );
  const action = await ui.pick(items, { title: `${title}: ExCP parameters`, placeholder: 'α prunes weight residuals, β Adam moments; more bits, less error' });
  if (!action) return undefined;
  const base: ExcpChoice = { alpha: remembered.alpha, beta: remembered.beta, bits: remembered.bits, bitsMoments: remembered.bitsMoments };
  switch (action.kind) {
    case 'use':
      return action.choice;
    case 'ratio': {
      const r = await askNumber(ui, `${title}: target ratio`, 'Compression ratio to aim for (original size / archive size)', remembered.targetRatio ?? 10, valid.targetRatio, 'a ratio above 1');
      return r === undefined ? undefined : { ...base, targetRatio: r };
    }
    case 'error': {
      const e = await askNumber(ui, `${title}: weight error bound`, 'Largest relative weight error (‖restored − original‖ / ‖original‖)', remembered.maxRelErr ?? 0.01, valid.maxRelErr, 'a number between 0 and 1');
      return e === undefined ? undefined : { ...base, maxRelErr: e };
    }
    case 'custom': {
      const alpha = await askNumber(ui, `${title}: α`, 'α: weight-residual pruning strength (larger prunes more)', base.alpha, valid.alpha, 'a number above 0');
      if (alpha === undefined) return undefined;
      const beta = await askNumber(ui, `${title}: β`, 'β: Adam-moment pruning strength (larger prunes more)', base.beta, valid.beta, 'a number of at least 0');
      if (beta === undefined) return undefined;
      const bits = await askNumber(ui, `${title}: residual bits`, 'Bits of the weight-residual codebook (1 to 8)', base.bits, valid.bits, 'an integer from 1 to 8');
      if (bits === undefined) return undefined;
      const bitsMoments = await askNumber(ui, `${title}: moment bits`, 'Bits of the Adam moments’ codebook (1 to 8)', base.bitsMoments, valid.bits, 'an integer from 1 to 8');
      if (bitsMoments === undefined) return undefined;
      return { alpha, beta, bits, bitsMoments };
    }
  }
}
