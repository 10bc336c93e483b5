import type { Redis } from 'ioredis';
import { memcachedCommand } from '../../test/support/memcached-stats.js';

/** Reads a server's count of commands served so far; differences give what a run sent. */
export type CommandCounter = () => Promise<number>;

/** Every command Redis served (`INFO commandstats`), except the INFO calls that read it. */
export function redisCommands(inspector: Redis): CommandCounter {
  return async () => {
    const info = await inspector.info('commandstats');
    let total = 0;
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (match[1] !== 'info') total += Number(match[2]);
    }
    return total;
  };
}

/** Reads, writes, deletes and touches memcached served (`stats`). */
export function memcachedCommands(port: number): CommandCounter {
  const fields = ['cmd_get', 'cmd_set', 'cmd_touch', 'delete_hits', 'delete_misses'];
  return async () => {
    const stats = await memcachedCommand(port, 'stats');
    return fields.reduce((sum, field) => {
      const match = new RegExp(`STAT ${field} (\\d+)`).exec(stats);
      return sum + Number(match?.[1] ?? 0);
    }, 0);
  };
}

/** A `Map` that counts reads and writes: the "backend" of an in-process store. */
export class CountingMap<K, V> extends Map<K, V> {
  commands = 0;
  override get(key: K): V | undefined {
    this.commands++;
    return super.get(key);
  }
  override set(key: K, value: V): this {
    this.commands++;
    return super.set(key, value);
  }
}
