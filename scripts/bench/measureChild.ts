// Runs a node child and prints its wall time and its own peak RSS (printPeakRss.cjs reports it on exit).
import { spawnSync } from 'node:child_process';

/** Returns the wall time in seconds. */
export function measureChild(label: string, args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--require', './scripts/bench/printPeakRss.cjs', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  const rss = /peak-rss-kb (\d+)/.exec(r.stderr)?.[1];
  const secs = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(44)} peak RSS ${(Number(rss) / 1024).toFixed(1).padStart(7)} MB   ${secs.toFixed(2)} s`);
  return secs;
}
