import { optionError, type OptionBag } from './option-checks.js';

/** The option names a section accepts, and how to name them all in a message. */
export interface KnownKeys {
  keys: ReadonlySet<string>;
  /** Default: the list of `keys`. */
  description?: string;
}

/**
 * Refuses the first key of `bag` that `known` does not hold, naming its full path (`redis.urll`)
 * and the closest known key when one is close ("did you mean 'url'?").
 */
export function refuseUnknownKeys(path: string, bag: OptionBag, known: KnownKeys): void {
  for (const key of Object.keys(bag)) {
    if (known.keys.has(key)) continue;
    const closest = closestKey(key, known.keys);
    const listed = known.description ?? `known options are: ${[...known.keys].join(', ')}`;
    const fix = closest ? `did you mean '${closest}'?` : `${listed}.`;
    throw optionError(path ? `${path}.${key}` : key, bag[key], `Unknown option; ${fix}`);
  }
}

/** The known key a typo most likely meant: at most 2 edits away, and fewer than half its length. */
export function closestKey(key: string, known: Iterable<string>): string | undefined {
  const typed = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance <= 2 && distance * 2 < candidate.length && distance < (best?.distance ?? 3)) {
      best = { key: candidate, distance };
    }
  }
  return best?.key;
}

/** Levenshtein distance: insertions, deletions and substitutions, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}
