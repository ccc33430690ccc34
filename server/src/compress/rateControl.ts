// Rate control for ExCP: `--target-ratio R` finds the smallest alpha (the most kept, the best
// quality) whose entry is at least R times smaller than the checkpoint; `--max-rel-err E` the
// largest alpha (the smallest entry) whose pooled weight error stays within E. Both by bisection on
// log(alpha): a larger alpha raises the v-guided weight threshold, so bytes fall and the error rises
// with it (monotone up to the threshold's cap of 2.5 median |dW|, beyond which alpha changes nothing).
export interface RateTarget {
  targetRatio?: number;
  maxRelErr?: number;
}

export interface RateChoice {
  alpha: number;
  bytes: number;
  relErr: number;
  /** whether the target was met (else: the closest alpha found) */
  met: boolean;
  trials: number;
}

const ALPHA_MIN = 1e-9;
const ALPHA_MAX = 1;
const ITERATIONS = 14;

export async function searchAlpha(trial: (alpha: number) => Promise<{ bytes: number; relErr: number }>, origBytes: number, target: RateTarget): Promise<RateChoice> {
  const ok = (r: { bytes: number; relErr: number }) =>
    target.targetRatio !== undefined ? origBytes / Math.max(1, r.bytes) >= target.targetRatio : r.relErr <= target.maxRelErr!;
  // For a ratio the feasible alphas are the large ones; for an error bound, the small ones.
  const wantLarge = target.targetRatio !== undefined;
  let trials = 0;
  const run = async (a: number) => ((trials++), { alpha: a, ...(await trial(a)) });
  const edge = await run(wantLarge ? ALPHA_MAX : ALPHA_MIN);
  if (!ok(edge)) return { ...edge, met: false, trials };
  let good = edge;
  let lo = Math.log(ALPHA_MIN);
  let hi = Math.log(ALPHA_MAX);
  for (let i = 0; i < ITERATIONS; i++) {
    const mid = (lo + hi) / 2;
    const r = await run(Math.exp(mid));
    if (ok(r)) {
      good = r;
      if (wantLarge) hi = mid;
      else lo = mid;
    } else if (wantLarge) lo = mid;
    else hi = mid;
  }
  return { ...good, met: true, trials };
}
