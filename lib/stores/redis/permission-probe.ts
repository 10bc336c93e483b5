import type { RedisClient } from './redis-connection.js';
import { withTimeout } from './redis-connection.js';
import { redisReplyCode } from './redis-failures.js';

/**
 * Each command the Redis store sends, as a probe that changes nothing: the key is one no entry
 * uses, `SET … XX` stores only over an existing key, `EVAL` returns at once. A Redis ACL checks a
 * command's permissions before it runs it, so a probe is refused exactly when the real command
 * would be. (`ACL DRYRUN` would say the same, but only to an administrator.)
 */
const PROBES: readonly [name: string, args: (key: string) => (string | number)[]][] = [
  ['GET', (key) => [key]],
  ['MGET', (key) => [key]],
  ['SET', (key) => [key, '', 'PX', 1, 'XX']],
  ['DEL', (key) => [key]],
  ['UNLINK', (key) => [key]],
  ['EVAL', (key) => ['return 0', 1, key]],
  ['SCAN', (key) => [0, 'MATCH', key, 'COUNT', 1]],
  ['PING', () => []],
];

/**
 * The commands the ACL user of `client` may not run on the key `probeKey` (one round trip), in
 * the order of `PROBES`; empty when everything is allowed, or when the probes could not be sent
 * or did not answer within `timeoutMs` (that is not a missing permission).
 */
export async function refusedCommands(
  client: RedisClient,
  probeKey: string,
  timeoutMs: number,
): Promise<string[]> {
  const pipeline = client.pipeline();
  for (const [name, args] of PROBES) pipeline.call(name, ...args(probeKey));
  const results = await withTimeout(
    pipeline.exec().catch(() => null),
    timeoutMs,
    null,
  );
  if (!results) return [];
  return PROBES.filter((_, i) => redisReplyCode(results[i]?.[0]) === 'NOPERM').map(
    ([name]) => name,
  );
}
