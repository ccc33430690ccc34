// Kernel 1, the part both backends share: the mergeable partial result of the fused statistics,
// the pairwise merge, and the summary a report shows.
//
// Moments are kept as central sums about the partial's own mean (count, mean, M2, M3, M4) and two
// partials merge with the pairwise update of Chan et al. / Pébay (2008), in float64. That is exact
// algebra, so chunk and block boundaries never change the answer beyond rounding, and it stays
// accurate where sums of powers would cancel (a mean far from zero, a tiny spread).
//
// NaN and ±Inf are counted, and left out of every moment and of min/max/absmax: `count` is the number
// of finite values the moments describe, `numel` the number of elements.

export interface StatsPartial {
  /** elements seen, NaN and Inf included */
  numel: number;
  /** finite elements; the moments below describe these */
  count: number;
  mean: number;
  /** sum of (x - mean)^2, ^3 and ^4 over the finite elements */
  m2: number;
  m3: number;
  m4: number;
  /** over finite elements; +Infinity / -Infinity while count is 0 */
  min: number;
  max: number;
  /** x == 0 (either sign) */
  zeros: number;
  nan: number;
  posinf: number;
  neginf: number;
}

export interface Stats {
  numel: number;
  /** finite elements, the population of every moment below */
  count: number;
  sum: number;
  /** sum of squares of the finite elements */
  sumsq: number;
  mean: number;
  /** population standard deviation (divides by count, as the reference does) */
  std: number;
  min: number;
  max: number;
  absmax: number;
  zeros: number;
  nan: number;
  /** +Inf and -Inf together, and each */
  inf: number;
  posinf: number;
  neginf: number;
  /** Fisher-Pearson g1 = m3 / m2^1.5 (population moments); NaN when the variance is 0 */
  skewness: number;
  /** EXCESS kurtosis g2 = m4 / m2^2 - 3 (0 for a normal distribution); NaN when the variance is 0 */
  kurtosis: number;
}

export function emptyStats(): StatsPartial {
  return { numel: 0, count: 0, mean: 0, m2: 0, m3: 0, m4: 0, min: Infinity, max: -Infinity, zeros: 0, nan: 0, posinf: 0, neginf: 0 };
}

/** Merges two partials over disjoint sets of elements (in any order). Returns a new object. */
export function mergeStats(a: StatsPartial, b: StatsPartial): StatsPartial {
  const out: StatsPartial = {
    numel: a.numel + b.numel,
    count: a.count + b.count,
    mean: 0,
    m2: 0,
    m3: 0,
    m4: 0,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    zeros: a.zeros + b.zeros,
    nan: a.nan + b.nan,
    posinf: a.posinf + b.posinf,
    neginf: a.neginf + b.neginf,
  };
  mergeMomentsInto(out, a.count, a.mean, a.m2, a.m3, a.m4, b.count, b.mean, b.m2, b.m3, b.m4);
  return out;
}

/**
 * Sets `out.mean/m2/m3/m4` to the moments of the union of two sets (count na and nb).
 * Kept as plain numbers so the hot merges of the GPU path allocate nothing.
 */
export function mergeMomentsInto(
  out: { mean: number; m2: number; m3: number; m4: number },
  na: number, ma: number, m2a: number, m3a: number, m4a: number,
  nb: number, mb: number, m2b: number, m3b: number, m4b: number,
): void {
  if (nb === 0) {
    out.mean = ma; out.m2 = m2a; out.m3 = m3a; out.m4 = m4a;
    return;
  }
  if (na === 0) {
    out.mean = mb; out.m2 = m2b; out.m3 = m3b; out.m4 = m4b;
    return;
  }
  const n = na + nb;
  const d = mb - ma;
  const dn = d / n;
  const dn2 = dn * dn;
  const t = d * dn * na * nb; // d^2 na nb / n
  out.mean = ma + dn * nb;
  out.m2 = m2a + m2b + t;
  out.m3 = m3a + m3b + t * dn * (na - nb) + 3 * dn * (na * m2b - nb * m2a);
  out.m4 = m4a + m4b + t * dn2 * (na * na - na * nb + nb * nb) + 6 * dn2 * (na * na * m2b + nb * nb * m2a) + 4 * dn * (na * m3b - nb * m3a);
}

/** The figures a report shows. NaN where a figure is undefined (no finite element; zero variance). */
export function summarizeStats(p: StatsPartial): Stats {
  const n = p.count;
  const has = n > 0;
  const variance = has ? p.m2 / n : NaN;
  const flat = !(variance > 0);
  // `+ 0` turns a -0 from the data into 0: the sign of a zero extreme is not a statistic.
  const min = has ? p.min + 0 : NaN;
  const max = has ? p.max + 0 : NaN;
  return {
    numel: p.numel,
    count: n,
    sum: has ? p.mean * n : 0,
    sumsq: has ? p.m2 + n * p.mean * p.mean : 0,
    mean: has ? p.mean : NaN,
    std: Math.sqrt(variance),
    min,
    max,
    absmax: has ? Math.max(-min, max) : NaN,
    zeros: p.zeros,
    nan: p.nan,
    inf: p.posinf + p.neginf,
    posinf: p.posinf,
    neginf: p.neginf,
    skewness: flat ? NaN : p.m3 / n / variance ** 1.5,
    kurtosis: flat ? NaN : p.m4 / n / (variance * variance) - 3,
  };
}
