// Analysis results cached per file identity (path, size, mtime) and options, so a second run is
// instant. One JSON file per key in the cache directory; a corrupt or stale entry is just a miss.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Checkpoint } from '../checkpoint/model.ts';
import type { AnalysisReport } from './reportTypes.ts';

/** Bump when the report's shape or numbers change, so old entries are not served. */
const CACHE_VERSION = 1;

export function defaultCacheDir(): string {
  return process.env.CKPT_LENS_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'checkpoint-lens');
}

function checkpointFiles(c: Checkpoint): string[] {
  const files = new Set(c.files);
  for (const t of c.tensors) for (const m of Object.values(t.moments)) if (m) files.add(m.file);
  return [...files].sort();
}

async function identity(files: string[]): Promise<Array<[string, number, number]>> {
  return Promise.all(files.map(async (f) => {
    const s = await stat(f);
    return [f, s.size, s.mtimeMs] as [string, number, number];
  }));
}

export async function cacheKey(parts: { checkpoint: Checkpoint; reference?: Checkpoint; options: unknown; backend: string }): Promise<string> {
  const material = {
    v: CACHE_VERSION,
    files: await identity(checkpointFiles(parts.checkpoint)),
    ref: parts.reference ? await identity(checkpointFiles(parts.reference)) : null,
    options: parts.options,
    backend: parts.backend,
  };
  return createHash('sha256').update(JSON.stringify(material)).digest('hex').slice(0, 32);
}

export async function readCached(dir: string, key: string): Promise<AnalysisReport | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as AnalysisReport;
  } catch {
    return undefined;
  }
}

export async function writeCached(dir: string, key: string, report: AnalysisReport): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${key}.json`);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(report));
  await rename(tmp, file);
}
