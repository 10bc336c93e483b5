import type { Comparison } from './measure.js';
import { round } from './stats.js';
import type { Contender, TargetResult } from './types.js';

/** A "ratio at least" target: met when `value >= threshold`. */
export function atLeast(text: string, value: number, threshold: number): TargetResult {
  return { text, met: value >= threshold, value: round(value, 3) };
}

/** A "ratio at most" target: met when `value <= threshold`. */
export function atMost(text: string, value: number, threshold: number): TargetResult {
  return { text, met: value <= threshold, value: round(value, 3) };
}

/** The contender with the lowest median p99, among those `filter` keeps. */
export function lowestTail(
  comparison: Comparison,
  contenders: readonly Contender[],
  filter: (contender: Contender) => boolean,
): string {
  return best(contenders, filter, (a, b) => comparison.p99Ms(a) < comparison.p99Ms(b));
}

/** The contender with the highest median ops/s, among those `filter` keeps. */
export function fastest(
  comparison: Comparison,
  contenders: readonly Contender[],
  filter: (contender: Contender) => boolean,
): string {
  return best(contenders, filter, (a, b) => comparison.opsPerSec(a) > comparison.opsPerSec(b));
}

function best(
  contenders: readonly Contender[],
  filter: (contender: Contender) => boolean,
  better: (a: string, b: string) => boolean,
): string {
  const names = contenders.filter(filter).map((contender) => contender.name);
  return names.reduce((chosen, name) => (better(name, chosen) ? name : chosen));
}
