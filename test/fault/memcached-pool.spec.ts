import { Injectable } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cacheable, type CacheModuleOptions } from '../../lib/index.js';
import type { MemcachedStore } from '../../lib/stores/memcached.store.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { memcachedKeys } from '../support/memcached-stats.js';
import { startMemcached, type ServerProcess } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';

@Injectable()
class QuoteService {
  readonly calls = new Map<number, number>();

  @Cacheable({ key: (id: number) => `quote:${id}`, ttl: 300 })
  async quote(id: number): Promise<{ id: number; price: number }> {
    this.calls.set(id, (this.calls.get(id) ?? 0) + 1);
    return { id, price: id * 10 };
  }
}

const IDS = Array.from({ length: 60 }, (_, i) => i + 1);

/** Which ids each server holds (from `lru_crawler metadump`). */
async function placement(servers: readonly ServerProcess[], prefix: string) {
  const dumps = await Promise.all(servers.map((server) => memcachedKeys(server.port)));
  const ids = dumps.map((keys) =>
    keys.flatMap((key) => {
      const match = key.startsWith(prefix) ? /:quote:(\d+)$/.exec(key) : null;
      return match ? [Number(match[1])] : [];
    }),
  );
  return { ids };
}

describe('memcached pool: a dead node', () => {
  let servers: ServerProcess[];
  let app: CacheApp;
  let quotes: QuoteService;
  let prefix: string;

  const open = async (memcached: CacheModuleOptions['memcached'] = {}) => {
    prefix = freshPrefix();
    app = await startCacheApp(
      {
        store: 'memcached',
        memcached: { servers: servers.map((server) => server.address), ...memcached },
        keyPrefix: prefix,
        commandTimeout: 1000,
      },
      [QuoteService],
    );
    quotes = app.get(QuoteService);
    for (const id of IDS) await quotes.quote(id);
    return placement(servers, prefix);
  };
  const callsOf = (ids: readonly number[]) => ids.map((id) => quotes.calls.get(id) ?? 0);

  beforeEach(async () => {
    servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  });
  afterEach(async () => {
    await app?.close();
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("misses and runs the method for the dead node's keys, while every key on the live nodes keeps hitting", async () => {
    const { ids } = await open();
    // Any node: each one holds the namespace version, so no one of them is worse to lose.
    const dead = 0;
    const lost = ids[dead];
    const live = IDS.filter((id) => !lost.includes(id));
    expect(lost.length).toBeGreaterThan(0);
    await servers[dead].kill();
    const liveCalls = callsOf(live);
    const lostCalls = callsOf(lost);
    const { hits, misses } = app.client.stats();

    for (let round = 1; round <= 2; round++) {
      const results = await Promise.all(IDS.map((id) => quotes.quote(id)));
      expect(results).toEqual(IDS.map((id) => ({ id, price: id * 10 })));
      expect(callsOf(live)).toEqual(liveCalls);
      expect(callsOf(lost)).toEqual(lostCalls.map((count) => count + round));
    }
    const after = app.client.stats();
    expect(after.hits - hits).toBe(2 * live.length);
    expect(after.misses - misses).toBe(2 * lost.length);
  });

  it("with ejectAfterFailures, moves a dead node's keys to the others, where they hit again, and takes the node back after retryEjectedAfterMs", async () => {
    const { ids } = await open({ ejectAfterFailures: 2, retryEjectedAfterMs: 1500 });
    const store = app.store as MemcachedStore;
    const dead = [0, 1, 2].find((i) => ids[i].length > 0)!;
    const lost = ids[dead];
    const live = IDS.filter((id) => !lost.includes(id));
    await servers[dead].kill();

    for (let i = 0; i < 20 && store.ejectedServers().length === 0; i++) await quotes.quote(lost[0]);
    expect(store.ejectedServers()).toEqual([dead]);

    // Off the ring: each lost key is loaded once more, stored on a live node, then hits there.
    const liveCalls = callsOf(live);
    const beforeMove = callsOf(lost);
    for (const id of lost) await quotes.quote(id);
    const reloaded = callsOf(lost);
    // (The call that ejected the node may already have stored lost[0] on a live node.)
    expect(reloaded.slice(1)).toEqual(beforeMove.slice(1).map((count) => count + 1));
    for (const id of lost) await quotes.quote(id);
    expect(callsOf(lost)).toEqual(reloaded);
    for (const id of live) await quotes.quote(id);
    expect(callsOf(live)).toEqual(liveCalls);
    const moved = (
      await placement(
        servers.filter((_, i) => i !== dead),
        prefix,
      )
    ).ids.flat();
    expect(moved).toEqual(expect.arrayContaining(lost));

    // Back (empty) and readmitted: its keys map to it again, miss once, and are stored there.
    await servers[dead].restart();
    await eventually(() => store.ejectedServers().length === 0, 10_000);
    const beforeReturn = callsOf(lost);
    for (const id of lost) await quotes.quote(id);
    for (const id of lost) await quotes.quote(id);
    expect(callsOf(lost)).toEqual(beforeReturn.map((count) => count + 1));
    expect((await placement([servers[dead]], prefix)).ids[0].sort()).toEqual([...lost].sort());
  });
});
