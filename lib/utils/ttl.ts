import ms from 'ms';
import { CacheTtlError } from '../errors.js';
import type { Ttl } from '../interfaces/cache-module-options.interface.js';

const DURATION = /^\d+(\.\d+)?\s*[a-z]+$/i;

/**
 * The one place TTLs change unit: seconds (number) or a duration string in, milliseconds out.
 * `0` and `undefined` mean "no expiry" and come out as `undefined`.
 * @throws CacheTtlError naming `where` for anything else.
 */
export function toTtlMs(ttl: Ttl | undefined, where: string): number | undefined {
  if (ttl === undefined) return undefined;
  const milliseconds = typeof ttl === 'number' ? ttl * 1000 : parseDuration(ttl);
  if (milliseconds === undefined || !Number.isFinite(milliseconds) || milliseconds < 0) {
    throw new CacheTtlError(where, ttl);
  }
  return milliseconds === 0 ? undefined : Math.ceil(milliseconds);
}

function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || !DURATION.test(text.trim())) return undefined;
  return ms(text.trim() as ms.StringValue);
}
