// The `checkpointLens.*` configuration resolved into the one typed settings object the language server
// takes (server/src/settings.ts), in initializationOptions and on every configuration change. Pure: VS
// Code's configuration arrives as a getter, so this is tested without VS Code. Validation is the
// server's own parseSettings (one validator for both sides); this adds what only the client knows:
// where `~`, `${workspaceFolder}` and relative cache paths point.
import { isAbsolute, join, resolve } from 'node:path';
import { parseSettings, type ServerSettings } from '../../server/src/settings.ts';

/** Every setting the server reads, as keys under `checkpointLens.` (package.json contributes exactly these, plus trace.server). */
export const SETTING_KEYS = [
  'computeBackend',
  'cacheDir',
  'compression.mode',
  'compression.alpha',
  'compression.beta',
  'compression.bits',
  'compression.bitsMoments',
  'outlierK',
  'hoverDetail',
  'diagnostics.quant4RelErr',
  'diagnostics.autoAnalyzeMaxBytes',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** Settings the client itself uses (vscode-languageclient reads `<id>.trace.server`). */
export const CLIENT_SETTING_KEYS = ['trace.server'] as const;

export interface ResolveContext {
  home: string;
  /** the first workspace folder, for `${workspaceFolder}` and relative paths; null without one */
  workspaceFolder: string | null;
}

export interface ResolvedSettings {
  settings: ServerSettings;
  /** one line per bad value, naming the `checkpointLens.` setting and the default used instead */
  warnings: string[];
}

/** `~`, `${userHome}`, `${workspaceFolder}` and relative paths made absolute; null (the default) when it cannot be. */
function resolveCacheDir(raw: unknown, ctx: ResolveContext, warnings: string[]): unknown {
  if (typeof raw !== 'string') return raw;
  let p = raw.trim();
  if (p === '') return null;
  if (p.includes('${workspaceFolder}') && ctx.workspaceFolder === null) {
    warnings.push(`checkpointLens.cacheDir: "${raw}" uses \${workspaceFolder} but no folder is open; using the default cache directory`);
    return null;
  }
  p = p.replaceAll('${userHome}', ctx.home).replaceAll('${workspaceFolder}', ctx.workspaceFolder ?? '');
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) p = join(ctx.home, p.slice(1));
  if (isAbsolute(p)) return resolve(p);
  if (ctx.workspaceFolder === null) {
    warnings.push(`checkpointLens.cacheDir: the relative path "${raw}" needs an open folder; using the default cache directory`);
    return null;
  }
  return resolve(ctx.workspaceFolder, p);
}

/** Reads each key through `get` (VS Code's WorkspaceConfiguration.get, defaults included) into ServerSettings. */
export function resolveSettings(get: (key: SettingKey) => unknown, ctx: ResolveContext): ResolvedSettings {
  const warnings: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = key === 'cacheDir' ? resolveCacheDir(get(key), ctx, warnings) : get(key);
    const [head, tail] = key.split('.') as [string, string | undefined];
    if (tail === undefined) raw[head] = value;
    else ((raw[head] ??= {}) as Record<string, unknown>)[tail] = value;
  }
  const parsed = parseSettings(raw);
  return { settings: parsed.settings, warnings: [...warnings, ...parsed.warnings.map((w) => `checkpointLens.${w}`)] };
}
