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

export function writeStamp({ expiresAt, ttlMs, graceMs, loadMs }: EntryStamp): string {
  const fields = [expiresAt, ttlMs ?? 0, graceMs ?? 0, loadMs ?? 0].map((n) =>
    Math.max(0, Math.ceil(n)).toString(36),
  );
  while (fields.length > 1 && fields[fields.length - 1] === '0') fields.pop();
  return `${STAMP_MARK}${fields.join(',')}\n`;
}

/** The stamp's fields (the text between the mark and the newline); `undefined` if damaged. */
export function readStamp(text: string): EntryStamp | undefined {
  const fields = text.split(',');
  if (fields.length > 4) return undefined;
  const numbers = fields.map((field) => (/^[0-9a-z]+$/.test(field) ? parseInt(field, 36) : NaN));
  if (!numbers.every(Number.isSafeInteger)) return undefined;
  const [expiresAt, ttlMs, graceMs, loadMs] = numbers;
  const stamp: EntryStamp = { expiresAt };
  if (ttlMs) stamp.ttlMs = ttlMs;
  if (graceMs) stamp.graceMs = graceMs;
  if (loadMs) stamp.loadMs = loadMs;
  return stamp;
}

/** When the store drops the entry: its expiry plus its grace. */
export function keptUntil(stamp: EntryStamp): number {
  return stamp.expiresAt + (stamp.graceMs ?? 0);
}
