// The settings the client hands over (initializationOptions, then workspace/didChangeConfiguration):
// one typed object, validated field by field. A bad value falls back to its default with a warning,
// so a typo in settings.json never stops the server. The server keeps them in its session object,
// never in module globals.
import type { BackendChoice } from '../../kernels/src/index.ts';

export type CompressionMode = 'excp' | 'lossless';
export type HoverDetail = 'compact' | 'full';

export interface CompressionDefaults {
  mode: CompressionMode;
  /** ExCP weight-residual pruning strength */
  alpha: number;
  /** ExCP moment pruning strength */
  beta: number;
  /** bits of the weight-residual codebook */
  bits: number;
  /** bits of the moments' codebook */
  bitsMoments: number;
}

export interface DiagnosticThresholds {
  /** warn when a weight's 4-bit (DE, block 128) relative quantization error exceeds this */
  quant4RelErr: number;
  /** the active checkpoint is analysed in the background (for value diagnostics) up to this many bytes */
  autoAnalyzeMaxBytes: number;
}

export interface ServerSettings {
  computeBackend: BackendChoice;
  /** analysis cache directory; null: the default (~/.cache/checkpoint-lens or $CKPT_LENS_CACHE_DIR) */
  cacheDir: string | null;
  compression: CompressionDefaults;
  /** outlier rows/columns: max-abs above k times the profile's median (also the diagnostic threshold) */
  outlierK: number;
  hoverDetail: HoverDetail;
  diagnostics: DiagnosticThresholds;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  computeBackend: 'auto',
  cacheDir: null,
  compression: { mode: 'excp', alpha: 5e-5, beta: 2.0, bits: 4, bitsMoments: 4 },
  outlierK: 8,
  hoverDetail: 'full',
  diagnostics: { quant4RelErr: 0.25, autoAnalyzeMaxBytes: 1 << 30 },
};

/** The settings section name in VS Code (`checkpointLens.*`). */
export const SETTINGS_SECTION = 'checkpointLens';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  readonly warnings: string[] = [];

  oneOf<T extends string>(obj: Json, key: string, path: string, choices: readonly T[], fallback: T): T {
    const v = obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    this.warnings.push(`${path}: expected one of ${choices.join(', ')}, got ${JSON.stringify(v)}; using ${fallback}`);
    return fallback;
  }

  number(obj: Json, key: string, path: string, fallback: number, ok: (x: number) => boolean, what: string): number {
    const v = obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && ok(v)) return v;
    this.warnings.push(`${path}: expected ${what}, got ${JSON.stringify(v)}; using ${fallback}`);
    return fallback;
  }

  section(obj: Json, key: string, path: string): Json {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    if (isObject(v)) return v;
    this.warnings.push(`${path}: expected an object, got ${JSON.stringify(v)}; using the defaults`);
    return {};
  }
}

const positive = (x: number) => x > 0;
const bitsRange = (x: number) => Number.isInteger(x) && x >= 1 && x <= 8;

/**
 * Reads settings from what a client sends: the `checkpointLens` section itself, or an object holding
 * it under `checkpointLens` (VS Code's didChangeConfiguration shape). Unknown keys are ignored.
 */
export function parseSettings(raw: unknown): { settings: ServerSettings; warnings: string[] } {
  const r = new Reader();
  let obj: Json = isObject(raw) ? raw : {};
  if (isObject(obj[SETTINGS_SECTION])) obj = obj[SETTINGS_SECTION] as Json;
  else if (raw !== undefined && raw !== null && !isObject(raw)) r.warnings.push(`settings: expected an object, got ${JSON.stringify(raw)}; using the defaults`);
  const d = DEFAULT_SETTINGS;
  const c = r.section(obj, 'compression', 'compression');
  const g = r.section(obj, 'diagnostics', 'diagnostics');
  const cacheDir = obj.cacheDir;
  let dir: string | null = null;
  if (typeof cacheDir === 'string' && cacheDir.trim() !== '') dir = cacheDir;
  else if (cacheDir !== undefined && cacheDir !== null && cacheDir !== '') r.warnings.push(`cacheDir: expected a path, got ${JSON.stringify(cacheDir)}; using the default`);
  const settings: ServerSettings = {
    computeBackend: r.oneOf(obj, 'computeBackend', 'computeBackend', ['auto', 'webgpu', 'cpu'] as const, d.computeBackend),
    cacheDir: dir,
    compression: {
      mode: r.oneOf(c, 'mode', 'compression.mode', ['excp', 'lossless'] as const, d.compression.mode),
      alpha: r.number(c, 'alpha', 'compression.alpha', d.compression.alpha, (x) => x >= 0, 'a number >= 0'),
      beta: r.number(c, 'beta', 'compression.beta', d.compression.beta, (x) => x >= 0, 'a number >= 0'),
      bits: r.number(c, 'bits', 'compression.bits', d.compression.bits, bitsRange, 'an integer from 1 to 8'),
      bitsMoments: r.number(c, 'bitsMoments', 'compression.bitsMoments', d.compression.bitsMoments, bitsRange, 'an integer from 1 to 8'),
    },
    outlierK: r.number(obj, 'outlierK', 'outlierK', d.outlierK, positive, 'a positive number'),
    hoverDetail: r.oneOf(obj, 'hoverDetail', 'hoverDetail', ['compact', 'full'] as const, d.hoverDetail),
    diagnostics: {
      quant4RelErr: r.number(g, 'quant4RelErr', 'diagnostics.quant4RelErr', d.diagnostics.quant4RelErr, positive, 'a positive number'),
      autoAnalyzeMaxBytes: r.number(g, 'autoAnalyzeMaxBytes', 'diagnostics.autoAnalyzeMaxBytes', d.diagnostics.autoAnalyzeMaxBytes, (x) => x >= 0, 'a number of bytes >= 0'),
    },
  };
  return { settings, warnings: r.warnings };
}
