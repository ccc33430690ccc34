// The workspace's checkpoints: discovered by name (discovery.ts), opened to their headers (never their
// values), re-opened only when their files change (size or mtime), and the active checkpoint.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { groupLayers } from '../analysis/layers.ts';
import type { Checkpoint, CheckpointTensor } from '../checkpoint/model.ts';
import { openCheckpoint } from '../checkpoint/open.ts';
import { DTYPE_SIZE } from '../formats/dtype.ts';
import type { CheckpointEntry, CheckpointKind, CheckpointList, Selection } from '../protocol.ts';
import { discoverCheckpoints, type Candidate, type CandidateKind } from './discovery.ts';
import { NameIndex } from './nameMatch.ts';

/** One discovered checkpoint with what the server knows of it. */
export interface IndexedCheckpoint {
  entry: CheckpointEntry;
  /** the opened headers; null for archives and for checkpoints that failed to open */
  checkpoint: Checkpoint | null;
  /** the file and tensor an opening error names (for its diagnostic) */
  errorFile: string | null;
  errorTensor: string | null;
  /** changes whenever any of its files does: part of every cache key */
  fingerprint: string;
  byName: Map<string, CheckpointTensor>;
  layerOf: Map<string, string>;
  names: NameIndex;
}

async function fileStats(paths: string[]): Promise<Array<[string, number, number]>> {
  const out: Array<[string, number, number]> = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (s?.isFile()) out.push([p, s.size, s.mtimeMs]);
  }
  return out;
}

/** The files whose change means a checkpoint must be re-opened. */
async function watchedFiles(c: Candidate): Promise<string[]> {
  if (c.kind === 'safetensors-file' || c.kind === 'ckpz') return [c.path];
  const dir = c.kind === 'directory' ? c.path : dirname(c.path);
  const names = await readdir(dir).catch(() => [] as string[]);
  const relevant = c.kind === 'directory' ? names : names.filter((n) => n.endsWith('.safetensors'));
  return [...(c.kind === 'directory' ? [] : [c.path]), ...relevant.map((n) => join(dir, n))];
}

function kindOf(c: Candidate, ckpt: Checkpoint | null): CheckpointKind {
  if (c.kind === 'ckpz') return 'ckpz';
  if (ckpt) return ckpt.format;
  if (c.kind === 'safetensors-index') return 'safetensors-sharded';
  return c.kind === 'directory' ? 'trainer' : 'safetensors';
}

function labelOf(path: string, roots: readonly string[]): string {
  const root = roots.filter((r) => path === r || path.startsWith(`${r}/`)).sort((a, b) => b.length - a.length)[0];
  const rel = root === undefined ? path : relative(dirname(root), path);
  return rel === '' ? basename(path) : rel;
}

async function open(c: Candidate, roots: readonly string[], fingerprint: string, files: Array<[string, number, number]>): Promise<IndexedCheckpoint> {
  let checkpoint: Checkpoint | null = null;
  let error: string | null = null;
  let errorFile: string | null = null;
  let errorTensor: string | null = null;
  if (c.kind !== 'ckpz') {
    try {
      checkpoint = await openCheckpoint(c.path);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      const file = (e as { file?: unknown }).file;
      errorFile = typeof file === 'string' ? file : c.kind === 'directory' ? null : c.path;
      const tensor = (e as { detail?: { tensor?: unknown } }).detail?.tensor;
      errorTensor = typeof tensor === 'string' ? tensor : null;
    }
  }
  const tensors = checkpoint?.tensors ?? [];
  const layerOf = new Map<string, string>();
  for (const l of groupLayers(tensors)) for (const t of l.tensors) layerOf.set(t.name, l.id);
  const archiveBytes = c.kind === 'ckpz' ? (files[0]?.[1] ?? 0) : 0;
  const entry: CheckpointEntry = {
    path: c.path,
    uri: pathToFileURL(c.path).toString(),
    label: labelOf(c.path, roots),
    kind: kindOf(c, checkpoint),
    step: checkpoint?.step ?? null,
    run: c.run,
    tensors: tensors.length,
    params: tensors.reduce((s, t) => s + t.numel, 0),
    bytes: archiveBytes + tensors.reduce((s, t) => s + t.numel * DTYPE_SIZE[t.dtype], 0),
    optimizer: checkpoint?.optimizer != null,
    modified: Math.max(0, ...files.map((f) => f[2])),
    error,
  };
  return { entry, checkpoint, errorFile, errorTensor, fingerprint, byName: new Map(tensors.map((t) => [t.name, t])), layerOf, names: new NameIndex(tensors.map((t) => t.name)) };
}

/** Newest first: modification time, then step, then path (stable). */
function newer(a: IndexedCheckpoint, b: IndexedCheckpoint): number {
  return b.entry.modified - a.entry.modified || (b.entry.step ?? -1) - (a.entry.step ?? -1) || a.entry.path.localeCompare(b.entry.path);
}

export class WorkspaceIndex {
  private roots: string[] = [];
  private readonly entries = new Map<string, IndexedCheckpoint>();
  /** checkpoints named by requests that lie outside the workspace (not listed, not watched) */
  private readonly outside = new Map<string, IndexedCheckpoint>();
  private selection: Selection = 'auto';
  private pinned: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private again = false;
  private allNames: NameIndex | null = null;
  /** set when the last walk stopped at a limit */
  truncated = false;

  setRoots(roots: readonly string[]): void {
    this.roots = [...new Set(roots)];
  }

  getRoots(): readonly string[] {
    return this.roots;
  }

  /**
   * Re-walks the workspace and re-opens what changed. Calls while one runs are folded into one more run
   * after it. Resolves true when anything (entries, errors, the active checkpoint) changed.
   */
  refresh(): Promise<boolean> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    const run = async (): Promise<boolean> => {
      let changed = false;
      do {
        this.again = false;
        changed = (await this.walk()) || changed;
      } while (this.again);
      return changed;
    };
    this.refreshing = run().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async walk(): Promise<boolean> {
    const activeBefore = this.active()?.entry.path ?? null;
    const { candidates, truncated } = await discoverCheckpoints(this.roots);
    this.truncated = truncated;
    let changed = false;
    const seen = new Set<string>();
    for (const c of candidates) {
      seen.add(c.path);
      const files = await fileStats(await watchedFiles(c));
      const fingerprint = JSON.stringify([c.kind, c.run, files]);
      const old = this.entries.get(c.path);
      if (old && old.fingerprint === fingerprint) continue;
      this.entries.set(c.path, await open(c, this.roots, fingerprint, files));
      changed = true;
    }
    for (const path of [...this.entries.keys()]) {
      if (!seen.has(path)) {
        this.entries.delete(path);
        changed = true;
      }
    }
    if (changed) this.allNames = null;
    if (this.pinned !== null && !this.entries.has(this.pinned)) {
      this.pinned = null;
      this.selection = 'auto';
    }
    return changed || activeBefore !== (this.active()?.entry.path ?? null);
  }

  list(): IndexedCheckpoint[] {
    return [...this.entries.values()].sort((a, b) => a.entry.path.localeCompare(b.entry.path));
  }

  get(path: string): IndexedCheckpoint | undefined {
    return this.entries.get(path);
  }

  /** A discovered checkpoint, or one outside the workspace opened on demand (re-opened when its files change). */
  async resolve(path: string): Promise<IndexedCheckpoint | undefined> {
    const known = this.entries.get(path);
    if (known) return known;
    // A weights file (or index) inside a checkpoint directory stands for that directory's checkpoint.
    const dir = this.entries.get(dirname(path));
    if (dir && (dir.checkpoint?.files.includes(path) || dir.checkpoint?.optimizer?.source === path || path.endsWith('.safetensors.index.json'))) return dir;
    const s = await stat(path).catch(() => null);
    if (!s) return undefined;
    const kind: CandidateKind = s.isDirectory() ? 'directory' : path.endsWith('.json') ? 'safetensors-index' : path.endsWith('.ckpz') ? 'ckpz' : 'safetensors-file';
    const c: Candidate = { path, kind, run: null };
    const files = await fileStats(await watchedFiles(c));
    const fingerprint = JSON.stringify([c.kind, c.run, files]);
    const old = this.outside.get(path);
    if (old && old.fingerprint === fingerprint) return old;
    const opened = await open(c, this.roots, fingerprint, files);
    this.outside.set(path, opened);
    return opened;
  }

  /** The active checkpoint: the pinned one, or the newest readable one (`auto`); null for `none` or an empty workspace. */
  active(): IndexedCheckpoint | null {
    if (this.selection === 'none') return null;
    if (this.selection === 'user' && this.pinned !== null) return this.entries.get(this.pinned) ?? null;
    const readable = [...this.entries.values()].filter((e) => e.checkpoint !== null);
    return readable.sort(newer)[0] ?? null;
  }

  /** Throws a RangeError for a path that is not a discovered, readable checkpoint. */
  select(path: string | null, auto = false): void {
    if (auto) {
      this.selection = 'auto';
      this.pinned = null;
      return;
    }
    if (path === null) {
      this.selection = 'none';
      this.pinned = null;
      return;
    }
    const e = this.entries.get(path);
    if (!e) throw new RangeError(`no discovered checkpoint at ${path} (listCheckpoints names them)`);
    if (!e.checkpoint) throw new RangeError(`${path} cannot be opened: ${e.entry.error ?? 'an archive has no tensors to show'}`);
    this.selection = 'user';
    this.pinned = path;
  }

  snapshot(): CheckpointList {
    return { checkpoints: this.list().map((e) => e.entry), active: this.active()?.entry.path ?? null, selection: this.selection };
  }

  /** Names over every readable checkpoint, for hovers when none is active. */
  namesOfAll(): NameIndex {
    this.allNames ??= new NameIndex([...this.entries.values()].flatMap((e) => [...e.byName.keys()]));
    return this.allNames;
  }

  /** The checkpoint a shard index describes, when the index is one of the workspace's. */
  describedBy(file: string): IndexedCheckpoint | undefined {
    const direct = this.entries.get(file);
    if (direct) return direct;
    const dir = this.entries.get(dirname(file));
    return dir && dir.checkpoint?.files.some((f) => dirname(f) === dirname(file)) ? dir : undefined;
  }

  /** The checkpoint before this one in its run (the natural reference for residuals). */
  previousInRun(c: IndexedCheckpoint): IndexedCheckpoint | undefined {
    if (c.entry.run === null || c.entry.step === null) return undefined;
    return [...this.entries.values()]
      .filter((e) => e.entry.run === c.entry.run && e.checkpoint && e.entry.step !== null && e.entry.step < c.entry.step!)
      .sort((a, b) => b.entry.step! - a.entry.step!)[0];
  }
}
