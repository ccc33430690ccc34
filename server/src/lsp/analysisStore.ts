// Analysis results the server holds in memory: whole-checkpoint reports, single-tensor reports (what a
// first hover computes), prepared planners (so a plan follows a slider) and the current plan per
// checkpoint. Results are keyed by the checkpoint's file fingerprint and the analysis options, so a
// changed file or setting never serves stale numbers. The work itself runs on the analysis worker.
import { defaultCacheDir } from '../analysis/reportCache.ts';
import { Planner, type CheckpointPlan } from '../analysis/planFromReport.ts';
import type { AnalysisOptions } from '../analysis/analysisOptions.ts';
import type { AnalysisReport, Criterion, TensorReport } from '../analysis/reportTypes.ts';
import type { StructuredScores } from '../analysis/structuredPlan.ts';
import type { ServerSettings } from '../settings.ts';
import type { JobRunner, Subscriber } from './jobRunner.ts';
import type { AnalysisWorker } from './workerClient.ts';
import type { IndexedCheckpoint } from './workspaceIndex.ts';

/** Whole-checkpoint reports kept in memory (the least recently stored go first). */
const MAX_FULL_REPORTS = 8;
const MAX_TENSOR_REPORTS = 4096;

export interface StoreHost {
  settings(): ServerSettings;
  worker: AnalysisWorker;
  jobs: JobRunner;
  /** a whole-checkpoint report arrived (diagnostics follow it) */
  onFullReport(checkpoint: IndexedCheckpoint): void;
}

export interface FullReport {
  report: AnalysisReport;
  cached: boolean;
  seconds: number;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

export class AnalysisStore {
  /** key -> report; `owner` is the checkpoint part of the key (path, fingerprint, options, backend) */
  private readonly full = new Map<string, { owner: string; report: AnalysisReport }>();
  private readonly single = new Map<string, TensorReport>();
  private readonly planners = new Map<string, Planner>();
  private readonly plans = new Map<string, { fingerprint: string; plan: CheckpointPlan }>();
  private readonly structured = new Map<string, StructuredScores>();

  constructor(private readonly host: StoreHost) {}

  options(): Partial<AnalysisOptions> {
    return { outlierK: this.host.settings().outlierK };
  }

  private cacheDir(): string {
    return this.host.settings().cacheDir ?? defaultCacheDir();
  }

  private owner(ck: IndexedCheckpoint): string {
    return JSON.stringify([ck.entry.path, ck.fingerprint, this.options(), this.host.settings().computeBackend]);
  }

  private key(ck: IndexedCheckpoint, reference?: IndexedCheckpoint | string): string {
    const ref = reference === undefined ? '' : typeof reference === 'string' ? reference : `${reference.entry.path}|${reference.fingerprint}`;
    return `${this.owner(ck)}|${ref}`;
  }

  /** The whole-checkpoint report when it is in memory. */
  peekFull(ck: IndexedCheckpoint, reference?: IndexedCheckpoint | string): AnalysisReport | undefined {
    return this.full.get(this.key(ck, reference))?.report;
  }

  async fullReport(ck: IndexedCheckpoint, opts: { reference?: IndexedCheckpoint | string; force?: boolean }, sub: Subscriber): Promise<FullReport> {
    const key = this.key(ck, opts.reference);
    const have = this.full.get(key)?.report;
    if (have && !opts.force) return { report: have, cached: true, seconds: 0 };
    const reference = typeof opts.reference === 'string' ? opts.reference : opts.reference?.entry.path;
    const started = performance.now();
    const result = await this.host.jobs.run(
      `analyze|${key}|${opts.force ? 'force' : ''}`,
      `Analysing ${ck.entry.label}`,
      (signal, progress) =>
        this.host.worker.run(
          { kind: 'analyze', path: ck.entry.path, reference, options: this.options(), cacheDir: this.cacheDir(), force: opts.force === true },
          this.host.settings().computeBackend,
          signal,
          progress,
        ),
      sub,
    );
    // The job may have been started by an earlier request with other options: store under its own key only if still current.
    if (this.key(ck, opts.reference) === key && !this.full.has(key)) {
      remember(this.full, key, { owner: this.owner(ck), report: result.report }, MAX_FULL_REPORTS);
      this.host.onFullReport(ck);
    }
    return { report: result.report, cached: result.cached, seconds: (performance.now() - started) / 1000 };
  }

  /** A tensor's report when it is in memory (from a whole-checkpoint report or a single-tensor one). */
  peekTensor(ck: IndexedCheckpoint, name: string): TensorReport | undefined {
    const fromFull = this.latestFull(ck)?.tensors[name];
    return fromFull ?? this.single.get(`${this.key(ck)}|${name}`);
  }

  /** One tensor's report: from memory, else analysed alone on the worker (and cached there on disk). */
  async tensorReport(ck: IndexedCheckpoint, name: string, sub: Subscriber): Promise<TensorReport> {
    const have = this.peekTensor(ck, name);
    if (have) return have;
    const key = `${this.key(ck)}|${name}`;
    const result = await this.host.jobs.run(
      `tensor|${key}`,
      `Analysing ${name}`,
      (signal, progress) =>
        this.host.worker.run(
          { kind: 'analyze', path: ck.entry.path, options: this.options(), only: [name], cacheDir: this.cacheDir(), force: false },
          this.host.settings().computeBackend,
          signal,
          progress,
        ),
      sub,
    );
    const report = result.report.tensors[name];
    if (!report) throw new Error(`the analysis returned no report for '${name}'`);
    // Alone, a tensor cannot know the layer grouping of the whole model (several stacks): take the checkpoint's.
    const fixed = { ...report, layer: ck.layerOf.get(name) ?? report.layer };
    // Settings may have changed while it ran: keep it only under the key it still answers.
    if (`${this.key(ck)}|${name}` === key) remember(this.single, key, fixed, MAX_TENSOR_REPORTS);
    return fixed;
  }

  /** The prepared planner of a report and criterion (built once: the slider path then costs microseconds). */
  planner(ck: IndexedCheckpoint, report: AnalysisReport, criterion: Criterion): Planner {
    const key = `${this.key(ck)}|${criterion}`;
    let p = this.planners.get(key);
    if (!p) {
      p = new Planner(report, criterion);
      remember(this.planners, key, p, MAX_FULL_REPORTS * 4);
    }
    return p;
  }

  /**
   * A checkpoint's heads and channels scored by a criterion, for structured plans: computed once on the
   * worker (it reads every grouped tensor), then every target is allocated from it in microseconds.
   */
  async structuredScores(ck: IndexedCheckpoint, criterion: Criterion, alpha: number, sub: Subscriber): Promise<StructuredScores> {
    const key = JSON.stringify([ck.entry.path, ck.fingerprint, criterion, alpha]);
    const have = this.structured.get(key);
    if (have) return have;
    const scores = await this.host.jobs.run(
      `structured|${key}`,
      `Scoring heads and channels of ${ck.entry.label}`,
      (signal) => this.host.worker.run({ kind: 'structuredScores', path: ck.entry.path, criterion, alpha }, this.host.settings().computeBackend, signal),
      sub,
    );
    remember(this.structured, key, scores, MAX_FULL_REPORTS);
    return scores;
  }

  setPlan(ck: IndexedCheckpoint, plan: CheckpointPlan): void {
    this.plans.set(ck.entry.path, { fingerprint: ck.fingerprint, plan });
  }

  /** The current plan of a checkpoint, if one was requested since its files last changed. */
  plan(ck: IndexedCheckpoint): CheckpointPlan | undefined {
    const p = this.plans.get(ck.entry.path);
    return p && p.fingerprint === ck.fingerprint ? p.plan : undefined;
  }

  /** The latest whole-checkpoint report in memory for this checkpoint as it is now, with or without a reference (for diagnostics). */
  latestFull(ck: IndexedCheckpoint): AnalysisReport | undefined {
    const owner = this.owner(ck);
    let found: AnalysisReport | undefined;
    for (const v of this.full.values()) if (v.owner === owner) found = v.report;
    return found;
  }
}
