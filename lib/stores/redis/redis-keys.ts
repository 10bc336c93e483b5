import calculateSlot from 'cluster-key-slot';

/** Most keys one MGET / UNLINK carries, so that one call never blocks the server for long. */
export const MAX_KEYS_PER_COMMAND = 1000;

/**
 * Splits key positions into groups that one multi-key command may carry: at most `max` keys, and,
 * on a Cluster, keys of one hash slot only (otherwise the server answers CROSSSLOT). Returns the
 * positions in `keys`, so that replies can be put back in key order.
 */
export function groupKeys(
  keys: readonly string[],
  bySlot: boolean,
  max = MAX_KEYS_PER_COMMAND,
): number[][] {
  const groups: number[][] = [];
  const open = new Map<number, number[]>();
  keys.forEach((key, position) => {
    const slot = bySlot ? calculateSlot(key) : 0;
    let group = open.get(slot);
    if (!group) {
      group = [];
      groups.push(group);
      open.set(slot, group);
    }
    group.push(position);
    if (group.length >= max) open.delete(slot);
  });
  return groups;
}

/** A SCAN `MATCH` pattern for every key that starts with `prefix`, glob characters escaped. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}
