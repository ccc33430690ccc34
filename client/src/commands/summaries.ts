// The one-line results of the long commands, as the notifications show them.
import { basename } from 'node:path';
import { formatBytes } from '../../../server/src/cli/format.ts';
import type { CompressResult, RestoreResult, VerifyResult } from '../../../server/src/protocol.ts';
import { checkpointName } from './checkpointPicks.ts';

export function formatRatio(r: number): string {
  return `${r.toFixed(r < 10 ? 2 : 1)}×`;
}

export function formatPercent(x: number): string {
  const p = x * 100;
  return `${p.toFixed(p < 1 ? 2 : 1)} %`;
}

function seconds(s: number): string {
  return `${s.toFixed(s < 10 ? 1 : 0)} s`;
}

/** `Compressed checkpoint-200 (against checkpoint-100) into checkpoint-200.ckpz: 9.52× smaller, 1.95 MiB → 210 KiB in 2.1 s. …` */
export function compressSummary(r: CompressResult, source: string, reference?: string): string {
  const what = r.entries > 1 ? `${r.entries} checkpoints of ${basename(source)}` : `${checkpointName(source)}${reference ? ` (against ${checkpointName(reference)})` : ''}`;
  const line = `Compressed ${what} into ${basename(r.archive)}: ${formatRatio(r.ratio)} smaller, ${formatBytes(r.bytesIn)} → ${formatBytes(r.bytesOut)} in ${seconds(r.seconds)}.`;
  const only = r.summary.entries.length === 1 ? r.summary.entries[0] : undefined;
  if (!only || only.mode !== 'excp') return only?.mode === 'lossless' ? `${line} Lossless (bit-exact).` : line;
  const facts: string[] = [];
  if (only.rel_err_w !== null) facts.push(`weight error ${formatPercent(only.rel_err_w)}`);
  if (only.kept_w !== null) facts.push(`kept ${formatPercent(only.kept_w)} of the weight residuals`);
  if (only.kept_m !== null) facts.push(`${formatPercent(only.kept_m)} of the moments`);
  return facts.length > 0 ? `${line} ExCP: ${facts.join(', ')}.` : line;
}

export function restoreSummary(r: RestoreResult, archive: string): string {
  const step = r.step !== null ? `step ${r.step}` : 'the checkpoint';
  return `Restored ${step} from ${basename(archive)} to ${r.output} (${r.files.length} file${r.files.length === 1 ? '' : 's'}) in ${seconds(r.seconds)}.`;
}

export function verifySummary(r: VerifyResult): string {
  if (!r.ok) return `${basename(r.report.archive)} is damaged: ${r.errors[0] ?? 'unknown error'}${r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : ''}.`;
  const entries = r.report.entries;
  const worst = entries.map((e) => e.maxRelErr).filter((x): x is number => x !== undefined);
  const lossless = entries.filter((e) => e.bitExact === true).length;
  const parts = [`${r.sections} sections, every checksum matches`, `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`];
  if (lossless > 0) parts.push(`${lossless} restore${lossless === 1 ? 's' : ''} bit-exact`);
  if (worst.length > 0) parts.push(`largest tensor error against the original ${formatPercent(Math.max(...worst))}`);
  return `${basename(r.report.archive)} is intact: ${parts.join(', ')}.`;
}

/** The verify report, for the output channel. */
export function verifyDetails(r: VerifyResult): string[] {
  const lines = [`Verify ${r.report.archive}: ${r.ok ? 'OK' : 'FAILED'} (${r.sections} sections)`];
  for (const e of r.report.entries) {
    const facts = [e.mode];
    if (e.bitExact !== undefined) facts.push(e.bitExact ? 'bit-exact' : 'NOT bit-exact');
    if (e.maxRelErr !== undefined) facts.push(`max rel err ${formatPercent(e.maxRelErr)}`);
    lines.push(`  ${e.name}${e.step !== null ? ` (step ${e.step})` : ''}: ${facts.join(', ')}`);
    for (const [t, err] of Object.entries(e.tensors ?? {})) lines.push(`    ${t}: ${err.toExponential(3)}`);
  }
  for (const err of r.errors) lines.push(`  error: ${err}`);
  return lines;
}
