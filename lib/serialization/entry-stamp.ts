/**
 * When an entry was meant to live, written in front of it: `E` + the fields in base 36, comma
 * separated, trailing ones left out, then a newline. Read by every app server, so that each knows,
 * whoever wrote the entry, when it stops being fresh, how long it may still be served stale, and
 * when to refresh it early.
 */
export interface EntryStamp {
  /** When the entry stops being fresh (epoch milliseconds). */
  expiresAt: number;
  /** The TTL it was written with: `expiresAt - ttlMs` is when it was written. */
  ttlMs?: number;
  /** How long past `expiresAt` the store keeps it, to be served if the loader fails. */
  graceMs?: number;
  /** How long the loader took to produce it, for probabilistic early refresh. */
  loadMs?: number;
}

export const STAMP_MARK = 'E';

/** Written on every store write: plain concatenation, no intermediate arrays. */
export function writeStamp({ expiresAt, ttlMs, graceMs, loadMs }: EntryStamp): string {
  const ttl = base36(ttlMs);
  const grace = base36(graceMs);
  const load = base36(loadMs);
  let fields = base36(expiresAt);
  if (load !== '0') fields += `,${ttl},${grace},${load}`;
  else if (grace !== '0') fields += `,${ttl},${grace}`;
  else if (ttl !== '0') fields += `,${ttl}`;
  return `${STAMP_MARK}${fields}\n`;
}

/** A whole number of milliseconds, rounded up, never below 0, in base 36. */
function base36(ms = 0): string {
  return Math.max(0, Math.ceil(ms)).toString(36);
}

const MAX_FIELDS = 4;
const COMMA = 44;

/**
 * The stamp's fields (the text between the mark and the newline); `undefined` if damaged. Every
 * hit on a shared store reads one: a single pass over the characters, no intermediate arrays.
 */
export function readStamp(text: string): EntryStamp | undefined {
  const fields: number[] = [];
  let value = 0;
  let digits = 0;
  for (let at = 0; at <= text.length; at++) {
    const code = at < text.length ? text.charCodeAt(at) : COMMA;
    if (code === COMMA) {
      if (digits === 0 || !Number.isSafeInteger(value) || fields.length === MAX_FIELDS) {
        return undefined;
      }
      fields.push(value);
      value = 0;
      digits = 0;
      continue;
    }
    const digit = base36Digit(code);
    if (digit < 0) return undefined;
    value = value * 36 + digit;
    digits++;
  }
  const [expiresAt, ttlMs, graceMs, loadMs] = fields;
  const stamp: EntryStamp = { expiresAt };
  if (ttlMs) stamp.ttlMs = ttlMs;
  if (graceMs) stamp.graceMs = graceMs;
  if (loadMs) stamp.loadMs = loadMs;
  return stamp;
}

/** `0`–`9` and `a`–`z` as 0–35; -1 for any other character. */
function base36Digit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  return -1;
}

/** When the store drops the entry: its expiry plus its grace. */
export function keptUntil(stamp: EntryStamp): number {
  return stamp.expiresAt + (stamp.graceMs ?? 0);
}
