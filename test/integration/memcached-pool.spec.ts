import HashRing from 'hashring';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedStore } from '../../lib/stores/memcached.store.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { memcachedKeys, memcachedStat } from '../support/memcached-stats.js';
import { startMemcached, type ServerProcess } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';

/** The keys of `prefix` each server holds, by server; with the namespace version key or not. */
async function keysByServer(servers: readonly ServerProcess[], prefix: string, version = true) {
  const dumps = await Promise.all(servers.map((server) => memcachedKeys(server.port)));
  const ours = (key: string) => key.startsWith(prefix) && (version || key !== `${prefix}__ns__`);
  return dumps.map((keys) => keys.filter(ours));
}

/** The logical key of a physical one: what follows `prefix + namespace + ':'`. */
function logical(physical: string, prefix: string): string {
  const rest = physical.slice(prefix.length);
  return rest.slice(rest.indexOf(':') + 1);
}

describe('memcached pool on a ketama ring (three real servers)', () => {
  let servers: ServerProcess[];
  let addresses: string[];
  const stores: MemcachedStore[] = [];
  let app: CacheApp | undefined;

  const openStore = (keyPrefix: string) => {
    const store = new MemcachedStore({
      keyPrefix,
      commandTimeout: 1000,
      connection: { servers, namespaceRefreshMs: 60_000 },
    });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
    addresses = servers.map((server) => server.address);
  });
  afterEach(async () => {
    for (const server of servers) server.resume();
    await app?.close();
    app = undefined;
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('stores every key on the server that hashring, an independent ketama client, names for its physical key', async () => {
    const prefix = freshPrefix();
    const store = openStore(prefix);
    const keys = Array.from({ length: 600 }, (_, i) => `user:${i}`);
    keys.push('k'.repeat(300), 'with space', 'ключ:ü');
    await store.setMany(keys.map((key, i) => ({ key, value: `v${i}` })));

    const held = await keysByServer(servers, prefix, false);
    const oracle = new HashRing(addresses, 'md5', { 'default port': 11211 });
    expect(held.flat()).toHaveLength(keys.length);
    held.forEach((physicalKeys, i) => {
      expect(physicalKeys.length).toBeGreaterThan(100);
      for (const key of physicalKeys) expect(oracle.get(key)).toBe(addresses[i]);
    });
    // The namespace version is outside the ring: on every server.
    const versions = await keysByServer(servers, `${prefix}__ns__`);
    expect(versions).toEqual(servers.map(() => [`${prefix}__ns__`]));
  });

  it('reads many keys with one multi-get per server: each server is asked for exactly the keys it holds', async () => {
    const prefix = freshPrefix();
    const store = openStore(prefix);
    const keys = Array.from({ length: 90 }, (_, i) => `item:${i}`);
    await store.setMany(keys.map((key) => ({ key, value: `value of ${key}` })));
    const held = await keysByServer(servers, prefix, false);
    const getsBefore = await Promise.all(servers.map((s) => memcachedStat(s.port, 'cmd_get')));

    const values = await store.getMany([...keys, 'item:never', keys[0]]);

    expect(values).toEqual([...keys.map((key) => `value of ${key}`), undefined, 'value of item:0']);
    const getsAfter = await Promise.all(servers.map((s) => memcachedStat(s.port, 'cmd_get')));
    const sample = held.flat().find((key) => key.endsWith(':item:0'))!;
    const never = sample.replace(/item:0$/, 'item:never');
    const neverAt = new HashRing(addresses, 'md5').get(never);
    servers.forEach((server, i) => {
      const expected = held[i].length + (neverAt === server.address ? 1 : 0);
      expect(getsAfter[i] - getsBefore[i]).toBe(expected);
    });
  });

  it('asks every server at once: a paused server holds back no other, only its own keys miss, and the failure is counted', async () => {
    const prefix = freshPrefix();
    app = await startCacheApp({
      store: 'memcached',
      memcached: { servers: addresses, namespaceRefreshMs: 60_000 },
      keyPrefix: prefix,
      commandTimeout: 2000,
      readRetries: 0,
    });
    const client = app.client;
    const ids = Array.from({ length: 60 }, (_, i) => i);
    expect(await client.setMany(ids.map((id) => ({ key: `row:${id}`, value: { id } })))).toBe(true);
    const held = (await keysByServer(servers, prefix, false)).map(
      (physical) => new Set(physical.map((key) => logical(key, prefix))),
    );
    const paused = held.findIndex((keys) => keys.has('row:0'));
    const others = servers.flatMap((_, i) => (i === paused ? [] : [i]));
    const getsBefore = await Promise.all(servers.map((s) => memcachedStat(s.port, 'cmd_get')));
    const errorsBefore = client.stats().errors;

    await servers[paused].pause();
    let settled = false;
    const pending = client.getMany(ids.map((id) => `row:${id}`)).finally(() => (settled = true));
    // The first key's server does not answer; the others are asked all the same, meanwhile.
    await eventually(async () => {
      const gets = await Promise.all(others.map((i) => memcachedStat(servers[i].port, 'cmd_get')));
      return gets.every((count, j) => count - getsBefore[others[j]] === held[others[j]].size);
    });
    expect(settled).toBe(false);

    const values = await pending;
    ids.forEach((id) => {
      expect(values[id]).toEqual(held[paused].has(`row:${id}`) ? undefined : { id });
    });
    expect(client.stats().errors).toBeGreaterThan(errorsBefore);
  });
});
