import { randomBytes } from 'node:crypto';

/**
 * A namespace version is `<counter>-<tag>`: a decimal counter that every `clear()` raises past the
 * newest version it knows, and a random tag (base64url) that tells apart versions made at once.
 * It is part of every physical key, so short and without `:`.
 */
const VERSION_PATTERN = /^(\d{1,15})-([\w-]{8})$/;

/** A stored version, its counter read out; `undefined` for a value this store never writes. */
export function parseVersion(text: string): { counter: number; tag: string } | undefined {
  const match = VERSION_PATTERN.exec(text);
  if (!match) return undefined;
  return { counter: Number(match[1]), tag: match[2] };
}

/**
 * Whether version `a` is newer than `b`: the higher counter, then, between versions created at the
 * same time, the greater tag. No clock takes part, so every process orders versions alike.
 */
export function isNewer(a: string, b: string): boolean {
  const [left, right] = [parseVersion(a), parseVersion(b)];
  if (!left || !right) return left !== undefined;
  if (left.counter !== right.counter) return left.counter > right.counter;
  return left.tag > right.tag;
}

/** The newest of `versions` (each valid); `undefined` when there are none. */
export function newestVersion(versions: Iterable<string>): string | undefined {
  let newest: string | undefined;
  for (const version of versions) {
    if (newest === undefined || isNewer(version, newest)) newest = version;
  }
  return newest;
}

/**
 * A version newer than `after` (counter + 1, a fresh tag), or the first one: never used before, so
 * no entry was ever written under it.
 */
export function versionAfter(after?: string): string {
  const counter = (after === undefined ? 0 : (parseVersion(after)?.counter ?? 0)) + 1;
  return `${counter}-${randomBytes(6).toString('base64url')}`;
}
