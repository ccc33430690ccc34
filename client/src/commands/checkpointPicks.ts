// Choosing checkpoints: the items of the quick picks (label = the checkpoint's name, `checkpoint-200`;
// description = its path in the workspace; detail = its size and contents), the run directories, and
// the natural reference of a checkpoint (the previous step of its run). The lists come from
// checkpointLens/listCheckpoints; "Open…" items reach checkpoints outside the workspace.
import { basename, dirname } from 'node:path';
import { formatBytes } from '../../../server/src/cli/format.ts';
import type { CheckpointEntry, CheckpointList } from '../../../server/src/protocol.ts';
import type { PickEntry, Ui } from '../ui/ui.ts';

const WEIGHTS_FILE = /^(model|pytorch_model|adapter_model|diffusion_pytorch_model)(-\d+-of-\d+)?\.safetensors$/;
const INDEX_SUFFIX = '.safetensors.index.json';

/** `checkpoint-200` for …/checkpoint-200, …/checkpoint-200/model.safetensors and …/checkpoint-200/model.safetensors.index.json; else the file name. */
export function checkpointName(path: string): string {
  const base = basename(path);
  if (WEIGHTS_FILE.test(base) || base.endsWith(INDEX_SUFFIX)) return basename(dirname(path));
  return base;
}

const naturalOrder = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Folder by folder, then by name: a run's checkpoints stay together (tiny-llama/ before tiny-llama-bf16/), checkpoint-100 before checkpoint-1000. */
export function byLocation(a: CheckpointEntry, b: CheckpointEntry): number {
  return naturalOrder(dirname(a.label), dirname(b.label)) || naturalOrder(basename(a.label), basename(b.label));
}

export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B params`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M params`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K params`;
  return `${n} params`;
}

/** One line about a checkpoint: step, parameters, size, moments. */
export function describeEntry(e: CheckpointEntry): string {
  if (e.kind === 'ckpz') return `.ckpz archive · ${formatBytes(e.bytes)}`;
  const parts = [e.step !== null ? `step ${e.step}` : e.kind, `${e.tensors} tensors`, formatParams(e.params), formatBytes(e.bytes)];
  if (e.optimizer) parts.push('Adam moments');
  return parts.join(' · ');
}

/** Checkpoints that can be analysed or compressed (opened without error, not archives). */
export function isOpenCheckpoint(e: CheckpointEntry): boolean {
  return e.kind !== 'ckpz' && e.error === null;
}

/** The listed checkpoint at `path`, or the one whose directory holds the file at `path`. */
export function findEntry(list: CheckpointList, path: string): CheckpointEntry | undefined {
  return list.checkpoints.find((e) => e.path === path) ?? list.checkpoints.find((e) => e.kind !== 'ckpz' && e.path === dirname(path));
}

export interface RunDirectory {
  path: string;
  /** the run's path in the workspace, like the checkpoints' labels */
  label: string;
  /** by step */
  checkpoints: CheckpointEntry[];
}

export function runDirectories(list: CheckpointList): RunDirectory[] {
  const runs = new Map<string, RunDirectory>();
  for (const e of list.checkpoints) {
    if (e.run === null || !isOpenCheckpoint(e)) continue;
    let r = runs.get(e.run);
    if (!r) runs.set(e.run, (r = { path: e.run, label: dirname(e.path) === e.run ? dirname(e.label) : e.run, checkpoints: [] }));
    r.checkpoints.push(e);
  }
  for (const r of runs.values()) r.checkpoints.sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
  return [...runs.values()].sort((a, b) => naturalOrder(a.label, b.label));
}

/** The checkpoint before `entry` in its run: the natural reference for residuals. */
export function previousStep(list: CheckpointList, entry: CheckpointEntry): CheckpointEntry | undefined {
  if (entry.run === null || entry.step === null) return undefined;
  return list.checkpoints
    .filter((e) => e.run === entry.run && isOpenCheckpoint(e) && e.step !== null && e.step < entry.step!)
    .sort((a, b) => b.step! - a.step!)[0];
}

export type CheckpointChoice = { kind: 'path'; path: string } | { kind: 'browse'; folders: boolean } | { kind: 'none' };

export function entryItem(e: CheckpointEntry, extra: { picked?: boolean; note?: string } = {}): PickEntry<CheckpointChoice> {
  return {
    label: checkpointName(e.path),
    description: e.label,
    detail: extra.note ? `${extra.note} · ${describeEntry(e)}` : describeEntry(e),
    value: { kind: 'path', path: e.path },
    ...(extra.picked && { picked: true }),
  };
}

export const BROWSE_ITEMS: readonly PickEntry<CheckpointChoice>[] = [
  { separator: 'Elsewhere' },
  { label: 'Open a checkpoint folder…', value: { kind: 'browse', folders: true } },
  { label: 'Open a checkpoint file…', description: '.safetensors, .safetensors.index.json, .ckpz', value: { kind: 'browse', folders: false } },
];

/** The open checkpoints passing `include`, by location, the active one preselected. */
export function checkpointEntries(list: CheckpointList, include: (e: CheckpointEntry) => boolean = isOpenCheckpoint): PickEntry<CheckpointChoice>[] {
  return list.checkpoints
    .filter(include)
    .sort(byLocation)
    .map((e) => entryItem(e, e.path === list.active ? { picked: true, note: 'active' } : {}));
}

/** Turns a choice into a path, opening the file dialog for "Open…". */
export async function resolveChoice(ui: Ui, choice: CheckpointChoice | undefined, title: string): Promise<string | undefined> {
  if (choice === undefined || choice.kind === 'none') return undefined;
  if (choice.kind === 'path') return choice.path;
  return ui.openDialog({ title, folders: choice.folders, filters: { Checkpoints: ['safetensors', 'json', 'ckpz'] } });
}

export interface PickCheckpointOptions {
  title: string;
  placeholder?: string;
  include?: (e: CheckpointEntry) => boolean;
}

export async function pickCheckpoint(ui: Ui, list: CheckpointList, opts: PickCheckpointOptions): Promise<string | undefined> {
  const items = [...checkpointEntries(list, opts.include), ...BROWSE_ITEMS];
  const choice = await ui.pick(items, { title: opts.title, placeholder: opts.placeholder ?? 'Pick a checkpoint' });
  return resolveChoice(ui, choice, opts.title);
}

/**
 * The items of a reference pick for `source`: the previous step first (the default), the run's other
 * earlier checkpoints, the workspace's other checkpoints, then "No reference" when allowed.
 */
export function referenceEntries(list: CheckpointList, source: string, noneItem?: { label: string; detail: string }): PickEntry<CheckpointChoice>[] {
  const entry = findEntry(list, source);
  const previous = entry && previousStep(list, entry);
  const sameRun = entry?.run != null ? list.checkpoints.filter((e) => e.run === entry.run && isOpenCheckpoint(e) && e.path !== entry.path && e !== previous) : [];
  const others = list.checkpoints.filter((e) => isOpenCheckpoint(e) && e.path !== entry?.path && e.path !== source && e !== previous && !sameRun.includes(e));
  const items: PickEntry<CheckpointChoice>[] = [];
  if (previous) items.push(entryItem(previous, { picked: true, note: 'previous step' }));
  for (const e of sameRun.sort((a, b) => (b.step ?? 0) - (a.step ?? 0))) items.push(entryItem(e, { note: 'same run' }));
  if (others.length > 0) items.push({ separator: 'Other checkpoints' }, ...others.sort(byLocation).map((e) => entryItem(e)));
  if (noneItem) items.push({ separator: '' }, { label: noneItem.label, detail: noneItem.detail, value: { kind: 'none' }, ...(!previous && { picked: true }) });
  items.push(...BROWSE_ITEMS);
  return items;
}
