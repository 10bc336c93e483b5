import { Logger } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { freshPrefix, patient, startCacheApp } from '../support/cache-app.js';
import { expectFailsOpen } from '../support/fails-open.js';
import {
  keysInSlots,
  startRedisCluster,
  type ClusterMember,
  type RedisClusterHarness,
} from '../support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelHarness } from '../support/redis-sentinel.js';
import { eventually } from '../support/store-contract.js';
import { makeTlsFiles, type TlsFiles } from '../support/tls-certs.js';
import { expectBusCarriesChanges } from '../support/two-tier-apps.js';

let files: TlsFiles;
/** 3 masters, 3 replicas, each TLS only: `port 0`, `tls-port`, `tls-cluster`, `tls-replication`. */
let cluster: RedisClusterHarness;
/** A master and a replica TLS only, 3 sentinels TLS only (`tls-replication yes`). */
let sentinel: RedisSentinelHarness;

beforeAll(async () => {
  files = await makeTlsFiles();
  const tls = {
    cert: files.serverCert,
    key: files.serverKey,
    ca: files.caCert,
    authClients: false,
  };
  [cluster, sentinel] = await Promise.all([
    startRedisCluster({ masters: 3, replicasPerMaster: 1, tls }),
    startRedisSentinel({ tls }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([cluster?.stop(), sentinel?.stop()]);
  files?.remove();
});

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  return () => vi.restoreAllMocks();
});

function clusterOptions(ca: string, keyPrefix = freshPrefix()): CacheModuleOptions {
  return { store: 'redis', redis: { cluster: { nodes: cluster.nodes }, tls: { ca } }, keyPrefix };
}

/** The masters that serve slots now, each once. */
async function clusterMasters(): Promise<ClusterMember[]> {
  const owners = await Promise.all(
    cluster.members.map(async (member) => ((await cluster.slotsOf(member)).length ? member : [])),
  );
  return owners.flat();
}

describe('Redis Cluster over TLS (3 TLS-only masters and their replicas)', () => {
  it('sets, gets, loads once with getOrSet, invalidates a tag and clears, with keys on every master', async () => {
    const keyPrefix = freshPrefix();
    const app = await startCacheApp(patient(clusterOptions(files.read(files.caCert), keyPrefix)));
    try {
      const masters = await clusterMasters();
      expect(masters).toHaveLength(3);
      const keys = await Promise.all(
        masters.map(async (master, i) => {
          const name = (n: number) => `user:${i}:${n}`;
          return keysInSlots(await cluster.slotsOf(master), 1, name, `${keyPrefix}|`)[0];
        }),
      );
      for (const [i, key] of keys.entries()) {
        expect(await app.client.set(key, { id: i }, { tags: ['team'] })).toBe(true);
      }
      expect(await app.client.getMany(keys)).toEqual([{ id: 0 }, { id: 1 }, { id: 2 }]);
      for (const [i, key] of keys.entries()) {
        const owner = await cluster.masterOf(calculateSlot(`${keyPrefix}|${key}`));
        expect(owner).toBe(masters[i]);
        expect(await owner.inspector.exists(`${keyPrefix}|${key}`)).toBe(1);
      }

      const loader = vi.fn(async () => 'report');
      expect(await app.client.getOrSet('report', loader)).toBe('report');
      expect(await app.client.getOrSet('report', loader)).toBe('report');
      expect(loader).toHaveBeenCalledTimes(1);

      expect(await app.client.invalidateTags(['team'])).toBe(true);
      expect(await app.client.getMany(keys)).toEqual([undefined, undefined, undefined]);

      expect(await app.client.clear()).toBe(true);
      expect(await app.client.get('report')).toBeUndefined();
      const left = await Promise.all(masters.map((m) => m.inspector.keys(`${keyPrefix}|*`)));
      expect(left.flat()).toEqual([]);
      expect(app.client.stats().errors).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('carries the L1 invalidation bus over sharded pub/sub on TLS: a change made through one app server reaches the other L1', async () => {
    const options = patient({ ...clusterOptions(files.read(files.caCert)), l1: true });
    await expectBusCarriesChanges(options);
  });

  it("with a CA that did not sign the nodes' certificates: the app starts, calls fail open, and the log names the TLS handshake failure", async () => {
    await expectFailsOpen(clusterOptions(files.read(files.otherCaCert)));
    const failures = warn.mock.calls
      .map(([message]) => String(message))
      .filter((line) => line.includes('continuing without the cache'));
    expect(failures).toHaveLength(1);
    const [line] = failures;
    expect(line).toMatch(/TLS handshake with the Redis server 127\.0\.0\.1:\d+ failed/);
    expect(line).toMatch(/not signed by a CA this client trusts\. Give the CA .* redis\.tls\.ca/);
  });
});

/**
 * A Sentinel-mode cache reaching the sentinels with `sentinelCa` (in plain TCP when `undefined`)
 * and the data nodes with `ca`.
 */
function sentinelOptions(sentinelCa: string | undefined, ca: string): CacheModuleOptions {
  const { name, sentinels } = sentinel;
  const sentinelTLS = sentinelCa === undefined ? {} : { sentinelTLS: { ca: sentinelCa } };
  return {
    store: 'redis',
    redis: { sentinel: { sentinels, name, ...sentinelTLS }, tls: { ca } },
    keyPrefix: freshPrefix(),
  };
}

/** The one line that says a cache call failed (the failure log holds back the rest). */
function oneFailureLine(): string {
  const failures = warn.mock.calls
    .map(([message]) => String(message))
    .filter((line) => line.includes('continuing without the cache'));
  expect(failures).toHaveLength(1);
  return failures[0];
}

describe('Redis Sentinel over TLS (TLS-only master, replica and sentinels)', () => {
  it('finds the master through the sentinels (sentinel.sentinelTLS) and caches on it over redis.tls; the replica receives the entries', async () => {
    const ca = files.read(files.caCert);
    const keyPrefix = freshPrefix();
    const { name, sentinels } = sentinel;
    const app = await startCacheApp(
      patient({
        store: 'redis',
        redis: { sentinel: { sentinels, name, sentinelTLS: { ca } }, tls: { ca } },
        keyPrefix,
      }),
    );
    try {
      const master = await sentinel.master();
      const [replica] = sentinel.nodes.filter((node) => node !== master);
      expect(await app.client.set('where', 'master', { tags: ['t'] })).toBe(true);
      expect(await master.inspector.exists(`${keyPrefix}|where`)).toBe(1);
      await eventually(async () => (await replica.inspector.exists(`${keyPrefix}|where`)) === 1);
      expect(await app.client.get('where')).toBe('master');
      expect(await app.client.getOrSet('loaded', async () => 1)).toBe(1);
      expect(await app.client.invalidateTags(['t'])).toBe(true);
      expect(await app.client.get('where')).toBeUndefined();
      expect(app.client.stats().errors).toBe(0);
    } finally {
      await app.close();
    }
  });

  it("with a CA that did not sign the master's certificate (redis.tls.ca): the app starts, calls fail open, and the log names the master's TLS handshake failure", async () => {
    const ca = files.read(files.caCert);
    await expectFailsOpen(sentinelOptions(ca, files.read(files.otherCaCert)));
    const line = oneFailureLine();
    expect(line).toContain(`TLS handshake with the Redis server sentinel:${sentinel.name} failed`);
    expect(line).toMatch(/not signed by a CA this client trusts\. Give the CA .* redis\.tls\.ca/);
  });

  it("with a CA that did not sign the sentinels' certificates (sentinelTLS.ca): the app starts, calls fail open, and the log names the sentinel's TLS handshake failure", async () => {
    const other = files.read(files.otherCaCert);
    await expectFailsOpen(sentinelOptions(other, other));
    const line = oneFailureLine();
    const ports = sentinel.sentinels.map(({ port }) => port).join('|');
    expect(line).toMatch(
      new RegExp(`TLS handshake with the Redis sentinel 127\\.0\\.0\\.1:(${ports}) failed`),
    );
    expect(line).toMatch(
      /not signed by a CA this client trusts\. Give the CA .* redis\.sentinel\.sentinelTLS\.ca/,
    );
  });

  it('with TLS-only sentinels and no sentinelTLS (reached in plain TCP): the app starts, calls fail open, and the log says to set sentinelTLS', async () => {
    const ca = files.read(files.caCert);
    await expectFailsOpen(sentinelOptions(undefined, ca));
    const line = oneFailureLine();
    const ports = sentinel.sentinels.map(({ port }) => port).join('|');
    expect(line).toMatch(new RegExp(`Redis sentinel 127\\.0\\.0\\.1:(${ports}) speaks TLS`));
    expect(line).toContain('Set redis.sentinel.sentinelTLS');
  });
});
