import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KetamaRing, ketamaLabel } from '../../lib/stores/memcached/ketama-ring.js';
import { namespaceKey } from '../../lib/stores/memcached/key-mapper.js';
import { freshPrefix, patient, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { memcachedCommand, memcachedKeys } from '../support/memcached-stats.js';
import { startMemcached, type ServerProcess } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';

const KEYS = Array.from({ length: 2000 }, (_, i) => `row:${i}`);

/** The server a single-server scheme would keep `prefix`'s namespace version on (its ring's). */
function ringServerOfVersion(servers: readonly ServerProcess[], prefix: string): number {
  const ring = new KetamaRing(
    servers.map(({ host, port }) => ({ label: ketamaLabel(host, port), weight: 1 })),
  );
  return ring.serverFor(namespaceKey(prefix));
}

/** What one server holds under `prefix`'s version key, read with the text protocol. */
async function versionOn(server: ServerProcess, prefix: string): Promise<string | undefined> {
  const reply = await memcachedCommand(server.port, `get ${namespaceKey(prefix)}`);
  return /^VALUE \S+ \d+ \d+\r\n(.*)\r\n/.exec(reply)?.[1];
}

/** The logical keys (`row:<n>`) of `prefix` each server holds. */
async function rowsByServer(servers: readonly ServerProcess[], prefix: string) {
  const dumps = await Promise.all(servers.map((server) => memcachedKeys(server.port)));
  return dumps.map(
    (keys) =>
      new Set(
        keys.flatMap((key) => {
          const match = key.startsWith(prefix) ? /:(row:\d+)$/.exec(key) : null;
          return match ? [match[1]] : [];
        }),
      ),
  );
}

describe('memcached namespace version on every server of the pool', () => {
  let servers: ServerProcess[];
  const apps: CacheApp[] = [];

  const open = async (
    keyPrefix: string,
    pool: readonly ServerProcess[],
    { namespaceRefreshMs = 1000, commandTimeout = 1000 } = {},
  ) => {
    const app = await startCacheApp({
      store: 'memcached',
      memcached: { servers: pool.map((server) => server.address), namespaceRefreshMs },
      keyPrefix,
      commandTimeout,
      readRetries: 0,
    });
    apps.push(app);
    return app;
  };
  const fill = async (app: CacheApp, keys: readonly string[] = KEYS) => {
    expect(await app.client.setMany(keys.map((key) => ({ key, value: key })))).toBe(true);
  };
  const hitsOf = async (app: CacheApp, keys: readonly string[] = KEYS) =>
    (await app.client.getMany([...keys])).filter((value, i) => value === keys[i]).length;

  beforeEach(async () => {
    servers = await Promise.all([0, 1, 2, 3].map(() => startMemcached()));
  });
  afterEach(async () => {
    for (const server of servers) server.resume();
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('keeps about three quarters of 2,000 keys hitting when a process restarts with a fourth server added to three', async () => {
    const [three, four] = [servers.slice(0, 3), servers];
    // The worst case for a version kept on one server: the ring moves it to the new server.
    let n = 0;
    while (ringServerOfVersion(four, `grow${n}:`) !== 3) n++;
    const prefix = `grow${n}:`;
    const before = await open(prefix, three);
    await fill(before);
    await before.close();

    const after = await open(prefix, four);
    const hits = await hitsOf(after);

    expect(hits).toBeGreaterThanOrEqual(0.6 * KEYS.length);
    expect(hits).toBeLessThan(KEYS.length);
  });

  it('a process that starts while one server is down (the one a single-server scheme kept the version on) hits every key on the others', async () => {
    const pool = servers.slice(0, 3);
    const prefix = freshPrefix();
    const keys = KEYS.slice(0, 300);
    await fill(await open(prefix, pool), keys);
    const held = await rowsByServer(pool, prefix);
    const dead = ringServerOfVersion(pool, prefix);
    expect(held[dead].size).toBeGreaterThan(0);
    await pool[dead].kill();

    const fresh = await open(prefix, pool);
    const values = await fresh.client.getMany(keys);

    const expected = keys.map((key) => (held[dead].has(key) ? undefined : key));
    expect(values).toEqual(expected);
    expect(expected.filter(Boolean).length).toBeGreaterThan(150);
  });

  it('a clear() with one server down takes effect; that server returns with the old version and its old entries: they stay unreadable, and it is re-seeded with the new version', async () => {
    const pool = servers.slice(0, 3);
    const prefix = freshPrefix();
    const keys = KEYS.slice(0, 300);
    const first = await open(prefix, pool, { namespaceRefreshMs: 100, commandTimeout: 300 });
    await fill(first, keys);
    const old = await versionOn(pool[2], prefix);
    expect(old).toBeDefined();
    expect((await rowsByServer(pool, prefix))[2].size).toBeGreaterThan(0);

    const errorsBefore = first.client.stats().errors;
    await pool[2].pause();
    expect(await first.client.clear()).toBe(true);
    pool[2].resume();
    // Taken effect on the two others; the one it could not write is counted as a failure.
    expect(first.client.stats().errors).toBe(errorsBefore + 1);

    const cleared = await versionOn(pool[0], prefix);
    expect(cleared).not.toBe(old);
    expect(await versionOn(pool[1], prefix)).toBe(cleared);
    // Back with what it held: the old version, and the old entries under it.
    expect(await versionOn(pool[2], prefix)).toBe(old);
    expect((await rowsByServer([pool[2]], prefix))[0].size).toBeGreaterThan(0);

    const second = await open(prefix, pool);
    expect(await hitsOf(second, keys)).toBe(0);
    expect(await hitsOf(first, keys)).toBe(0);
    await eventually(async () => (await versionOn(pool[2], prefix)) === cleared);

    // With a server that holds the new version gone, a new process still sees it on the others.
    await pool[0].kill();
    const third = await open(prefix, pool);
    expect(await hitsOf(third, keys)).toBe(0);
  });

  it('re-seeds a server that was killed and restarted empty, while keys on the others keep hitting', async () => {
    const pool = servers.slice(0, 3);
    const prefix = freshPrefix();
    const keys = KEYS.slice(0, 300);
    const app = await open(prefix, pool, { namespaceRefreshMs: 100 });
    await fill(app, keys);
    const version = await versionOn(pool[0], prefix);
    expect(await Promise.all(pool.map((server) => versionOn(server, prefix)))).toEqual([
      version,
      version,
      version,
    ]);
    const held = await rowsByServer(pool, prefix);

    await pool[1].kill();
    await pool[1].restart();
    expect(await versionOn(pool[1], prefix)).toBeUndefined();

    await eventually(async () => {
      await app.client.get('anything');
      return (await versionOn(pool[1], prefix)) === version;
    });
    const values = await app.client.getMany(keys);
    expect(values).toEqual(keys.map((key) => (held[1].has(key) ? undefined : key)));
  });

  it('processes starting at once on a new prefix settle on one version, stored on every server', async () => {
    const pool = servers.slice(0, 3);
    const prefix = freshPrefix();
    const started = await Promise.all(Array.from({ length: 6 }, () => open(prefix, pool)));

    expect(await started[0].client.set('shared', 'seen')).toBe(true);

    for (const app of started) expect(await app.client.get('shared')).toBe('seen');
    const versions = await Promise.all(pool.map((server) => versionOn(server, prefix)));
    expect(new Set(versions).size).toBe(1);
    expect(versions[0]).toMatch(/^1-/);
  });

  it('clear() answers false when no server can take the new version, and true once one can', async () => {
    const pool = servers.slice(0, 2);
    const prefix = freshPrefix();
    const app = await open(prefix, pool, { commandTimeout: 300 });
    await fill(app, ['row:1']);
    await Promise.all(pool.map((server) => server.kill()));

    expect(await app.client.clear()).toBe(false);

    await pool[1].restart();
    await eventually(() => app.client.clear());
    expect(await versionOn(pool[1], prefix)).toBeDefined();
  });
});

describe('memcached prefixes that start alike (app: and app:v2:) on one pool', () => {
  let servers: ServerProcess[];
  const apps: CacheApp[] = [];

  beforeEach(async () => {
    servers = await Promise.all([0, 1, 2].map(() => startMemcached()));
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("never see each other's entries, and each one's clear() leaves the other's", async () => {
    const open = async (keyPrefix: string) => {
      const app = await startCacheApp(
        patient({
          store: 'memcached',
          memcached: { servers: servers.map((server) => server.address) },
          keyPrefix,
        }),
      );
      apps.push(app);
      return app;
    };
    const [app, v2] = [await open('app:'), await open('app:v2:')];
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    const mine = (cache: string) => keys.map((key) => `${cache}/${key}`);
    expect(await app.client.setMany(keys.map((key, i) => ({ key, value: mine('app')[i] })))).toBe(
      true,
    );
    expect(await v2.client.getMany(keys)).toEqual(keys.map(() => undefined));
    expect(await v2.client.setMany(keys.map((key, i) => ({ key, value: mine('v2')[i] })))).toBe(
      true,
    );
    expect(await app.client.getMany(keys)).toEqual(mine('app'));
    expect(await v2.client.getMany(keys)).toEqual(mine('v2'));

    expect(await app.client.clear()).toBe(true);
    expect(await app.client.getMany(keys)).toEqual(keys.map(() => undefined));
    expect(await v2.client.getMany(keys)).toEqual(mine('v2'));

    expect(await app.client.setMany(keys.map((key, i) => ({ key, value: mine('app')[i] })))).toBe(
      true,
    );
    expect(await v2.client.clear()).toBe(true);
    expect(await v2.client.getMany(keys)).toEqual(keys.map(() => undefined));
    expect(await app.client.getMany(keys)).toEqual(mine('app'));
  });
});
