import type { EntryStamp } from '../serialization/entry-stamp.js';
import type { LoadPolicy } from './load-policy.js';

const XFETCH_BETA = 2;

/** Whether an entry has passed its TTL (it may still be kept for grace). */
export function isExpired(stamp: EntryStamp | undefined, now: number): boolean {
  return stamp !== undefined && stamp.expiresAt <= now;
}

/**
 * Whether a hit on a fresh entry should start a refresh ahead of its expiry. A fraction `f`: once
 * `f` of the TTL has passed. Probabilistic (XFetch, Vattani, Chierichetti and Lowenstein, "Optimal
 * Probabilistic Cache Stampede Prevention", VLDB 2015): with `delta` the time the last load took,
 * a hit at `now` refreshes when `now - delta · β · ln(u) ≥ expiresAt`, `u` uniform in (0, 1]; the
 * chance grows as expiry nears and with the loader's slowness, so that one of many readers of a
 * hot key refreshes it shortly before it expires. β = 2 rather than the paper's 1: the refresh
 * must also land (the store write, a turn of the event loop) before the entry expires, and with
 * β = 1 a key read every few milliseconds by a 20 ms loader was refreshed too late about one
 * cycle in ten; with 2, about one in five thousand, for a refresh some `2 · delta · ln(reads per
 * 2·delta)` before expiry. Without a recorded load time, `delta` is 5 % of the TTL.
 */
export function refreshIsDue(
  stamp: EntryStamp | undefined,
  refreshAhead: LoadPolicy['refreshAhead'],
  now: number,
  random: () => number = Math.random,
): boolean {
  if (stamp === undefined || refreshAhead === undefined || stamp.ttlMs === undefined) return false;
  const { expiresAt, ttlMs } = stamp;
  if (refreshAhead !== 'probabilistic') return now >= expiresAt - ttlMs * (1 - refreshAhead);
  const delta = stamp.loadMs ?? ttlMs / 20;
  return now - delta * XFETCH_BETA * Math.log(1 - random()) >= expiresAt;
}
