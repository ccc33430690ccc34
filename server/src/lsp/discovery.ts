// Finding checkpoints in the workspace folders by file names alone (nothing is opened here):
// - a directory with Hugging Face weights (model.safetensors, model.safetensors.index.json,
//   pytorch_model.bin) or with Trainer files beside *.safetensors is one checkpoint (not descended into);
// - elsewhere every *.safetensors.index.json is one (sharded) checkpoint and every *.safetensors file not
//   listed by an index beside it is one checkpoint;
// - *.ckpz archives are listed as they are;
// - a directory of `checkpoint-N/` checkpoints is a run: its checkpoints carry its path.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stepFromDirName } from '../checkpoint/series.ts';

export type CandidateKind = 'directory' | 'safetensors-file' | 'safetensors-index' | 'ckpz';

export interface Candidate {
  path: string;
  kind: CandidateKind;
  run: string | null;
}

const HF_WEIGHTS = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin'];
const TRAINER_FILES = ['optimizer.pt', 'trainer_state.json'];
const SKIP_DIRS = new Set(['node_modules', '__pycache__', 'site-packages', 'venv', 'wandb']);
const INDEX_SUFFIX = '.safetensors.index.json';

export interface DiscoveryLimits {
  /** directory levels below a workspace folder */
  maxDepth: number;
  /** directories read in all; the walk stops there (a huge workspace is indexed partly, not forever) */
  maxDirectories: number;
}

export const DEFAULT_LIMITS: DiscoveryLimits = { maxDepth: 8, maxDirectories: 20_000 };

/** True when `names` (a directory listing) make the directory one checkpoint. */
export function isCheckpointDirectory(names: readonly string[]): boolean {
  if (HF_WEIGHTS.some((n) => names.includes(n))) return true;
  return TRAINER_FILES.some((n) => names.includes(n)) && names.some((n) => n.endsWith('.safetensors'));
}

/** Shard files an index lists (its weight_map values); unreadable indexes list none (they are reported when opened). */
async function indexedShards(indexFile: string): Promise<string[]> {
  try {
    const json = JSON.parse(await readFile(indexFile, 'utf8')) as { weight_map?: Record<string, unknown> };
    return Object.values(json.weight_map ?? {}).filter((v): v is string => typeof v === 'string');
  } catch {
    return [];
  }
}

export interface DiscoveryResult {
  candidates: Candidate[];
  /** set when a limit cut the walk short */
  truncated: boolean;
}

export async function discoverCheckpoints(roots: readonly string[], limits: DiscoveryLimits = DEFAULT_LIMITS): Promise<DiscoveryResult> {
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  let directories = 0;
  let truncated = false;
  const queue: Array<{ dir: string; depth: number; run: string | null }> = roots.map((dir) => ({ dir, depth: 0, run: null }));
  while (queue.length > 0) {
    const { dir, depth, run } = queue.shift()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    if (++directories > limits.maxDirectories) {
      truncated = true;
      break;
    }
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
    if (!entries) continue;
    const names = entries.map((e) => e.name);
    if (isCheckpointDirectory(names)) {
      candidates.push({ path: dir, kind: 'directory', run });
      continue;
    }
    const listed = new Set<string>();
    for (const n of names.filter((x) => x.endsWith(INDEX_SUFFIX))) {
      candidates.push({ path: join(dir, n), kind: 'safetensors-index', run: null });
      for (const shard of await indexedShards(join(dir, n))) listed.add(shard);
    }
    const subdirs: string[] = [];
    let hasSeries = false;
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isFile() || e.isSymbolicLink()) {
        if (e.name.endsWith('.safetensors') && !listed.has(e.name)) candidates.push({ path: p, kind: 'safetensors-file', run: null });
        else if (e.name.endsWith('.ckpz')) candidates.push({ path: p, kind: 'ckpz', run: null });
      }
      if ((e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.') && !SKIP_DIRS.has(e.name)) {
        subdirs.push(p);
        if (stepFromDirName(e.name) !== null) hasSeries = true;
      }
    }
    if (depth >= limits.maxDepth) {
      if (subdirs.length > 0) truncated = true;
      continue;
    }
    // Symbolic links to files were tried as files above; readdir on them fails quietly.
    for (const p of subdirs) queue.push({ dir: p, depth: depth + 1, run: hasSeries && stepFromDirName(p) !== null ? dir : null });
  }
  candidates.sort((a, b) => a.path.localeCompare(b.path));
  return { candidates, truncated };
}
