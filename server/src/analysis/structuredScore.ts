// Group importance: a group's score is the sum (or max) of its members' per-element importance
// (ALGORITHMS.md §3), and where a group's elements lie in the flat row-major tensor.
import type { GroupSet, StridedSlice } from './structuredTypes.ts';

export type GroupReduce = 'sum' | 'max';

/** Per-tensor importance (|w|, |w*m|, 0.5*v*w^2, ...): one value per element, row-major, keyed by tensor name. */
export type ImportanceMap = ReadonlyMap<string, Float32Array>;

/**
 * Scores every group of a set, accumulating in float64. Each member tensor is read once: its importance
 * is first reduced to a per-row (axis 0) or per-column (axis 1) profile, then groups reduce their ranges.
 */
export function scoreGroups(set: GroupSet, importance: ImportanceMap, reduce: GroupReduce = 'sum'): Float64Array {
  const scores = new Float64Array(set.count).fill(reduce === 'sum' ? 0 : -Infinity);
  const profiles = new Map<string, Float64Array>();
  for (const member of set.members) {
    const key = `${member.tensor}\u0000${member.axis}`;
    let profile = profiles.get(key);
    if (!profile) {
      profile = axisProfile(member, importance, reduce);
      profiles.set(key, profile);
    }
    for (let g = 0; g < set.count; g++) {
      const start = member.offset + g * member.width;
      let acc = scores[g];
      for (let k = start; k < start + member.width; k++) acc = reduce === 'sum' ? acc + profile[k] : Math.max(acc, profile[k]);
      scores[g] = acc;
    }
  }
  return scores;
}

function axisProfile(member: StridedSlice, importance: ImportanceMap, reduce: GroupReduce): Float64Array {
  const values = importance.get(member.tensor);
  const [rows, cols] = member.view;
  if (!values) throw new Error(`no importance values for ${member.tensor}, a member of these groups`);
  if (values.length !== rows * cols) {
    throw new Error(`importance for ${member.tensor} has ${values.length} values, expected ${rows * cols} (2-D view [${rows}, ${cols}])`);
  }
  const profile = new Float64Array(member.axis === 0 ? rows : cols).fill(reduce === 'sum' ? 0 : -Infinity);
  // One loop per case keeps the branch out of the inner loop, which runs over every element.
  const sum = reduce === 'sum';
  for (let r = 0, k = 0; r < rows; r++) {
    if (member.axis === 0) {
      let acc = profile[r];
      for (let c = 0; c < cols; c++, k++) acc = sum ? acc + values[k] : Math.max(acc, values[k]);
      profile[r] = acc;
    } else if (sum) {
      for (let c = 0; c < cols; c++, k++) profile[c] += values[k];
    } else {
      for (let c = 0; c < cols; c++, k++) profile[c] = Math.max(profile[c], values[k]);
    }
  }
  return profile;
}

/** The contiguous `[start, length]` runs of flat row-major elements that group `g` covers in a member: one
 *  run for a row range, one per row for a column range. A pruner zeroes exactly these. */
export function elementRuns(member: StridedSlice, g: number): Array<[number, number]> {
  const [rows, cols] = member.view;
  const start = member.offset + g * member.width;
  if (member.axis === 0) return [[start * cols, member.width * cols]];
  return Array.from({ length: rows }, (_, r): [number, number] => [r * cols + start, member.width]);
}
