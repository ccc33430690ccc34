// Splitting a dispatch at the workgroup-count limit: n workgroups become an x-by-y grid with
// x <= maxPerDimension; kernels recover the linear index as wid.x + wid.y * groups_x and skip
// the few surplus groups of the last row (they find no elements).

export interface Grid {
  x: number;
  y: number;
  /** workgroups launched, x * y >= the requested count */
  total: number;
}

export function gridFor(workgroups: number, maxPerDimension: number): Grid {
  if (workgroups <= 0) return { x: 0, y: 0, total: 0 };
  const x = Math.min(workgroups, maxPerDimension);
  const y = Math.ceil(workgroups / x);
  if (y > maxPerDimension) throw new RangeError(`${workgroups} workgroups exceed a ${maxPerDimension} x ${maxPerDimension} grid`);
  return { x, y, total: x * y };
}
