import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { freshPrefix, patient, startCacheApp } from '../support/cache-app.js';
import { startTlsRedis, type RedisServer } from '../support/servers.js';
import { makeTlsFiles, type TlsFiles } from '../support/tls-certs.js';
import { expectBusCarriesChanges } from '../support/two-tier-apps.js';

let files: TlsFiles;
/** TLS only, no client certificate asked for. */
let server: RedisServer;
/** TLS only, a client certificate signed by the CA required. */
let mutual: RedisServer;

beforeAll(async () => {
  files = await makeTlsFiles();
  const tls = { cert: files.serverCert, key: files.serverKey, ca: files.caCert };
  [server, mutual] = await Promise.all([
    startTlsRedis({ ...tls, authClients: false }),
    startTlsRedis({ ...tls, authClients: true }),
  ]);
}, 30_000);
afterAll(async () => {
  await Promise.all([server?.stop(), mutual?.stop()]);
  files?.remove();
});
beforeEach(() => {
  vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  return () => vi.restoreAllMocks();
});

/** The keys on `on` that start with `keyPrefix`, read over a TLS connection of the test's own. */
async function keysOn(on: RedisServer, keyPrefix: string): Promise<string[]> {
  const inspector = new Redis(on.port, on.host, {
    tls: {
      ca: files.read(files.caCert),
      cert: files.read(files.clientCert),
      key: files.read(files.clientKey),
    },
  });
  try {
    return await inspector.keys(`${keyPrefix}*`);
  } finally {
    inspector.disconnect();
  }
}

/** Sets, reads back and deletes through the app; the entry was on the server in between. */
async function roundTrip(options: CacheModuleOptions, on: RedisServer): Promise<void> {
  const keyPrefix = freshPrefix();
  const app = await startCacheApp(patient({ ...options, keyPrefix }));
  try {
    expect(await app.client.set('user:1', { name: 'Ada' })).toBe(true);
    expect(await app.client.get('user:1')).toEqual({ name: 'Ada' });
    expect(await keysOn(on, keyPrefix)).toEqual([`${keyPrefix}|user:1`]);
    expect(await app.client.delete('user:1')).toBe(true);
    expect(app.client.stats().errors).toBe(0);
  } finally {
    await app.close();
  }
}

describe('Redis over TLS', () => {
  it('caches over a rediss:// URL with the CA given in redis.tls.ca', async () => {
    await roundTrip(
      { store: 'redis', redis: { url: server.url, tls: { ca: files.read(files.caCert) } } },
      server,
    );
  });

  it('caches with host/port and redis.tls (CA and servername)', async () => {
    const tls = { ca: files.read(files.caCert), servername: 'localhost' };
    await roundTrip(
      { store: 'redis', redis: { host: server.host, port: server.port, tls } },
      server,
    );
  });

  it('caches over mutual TLS with a client certificate and key', async () => {
    const tls = {
      ca: files.read(files.caCert),
      cert: files.read(files.clientCert),
      key: files.read(files.clientKey),
    };
    await roundTrip({ store: 'redis', redis: { url: mutual.url, tls } }, mutual);
  });

  it("runs the L1 invalidation bus over the cache's TLS connection: a change made through one app server reaches the other's L1", async () => {
    const tls = {
      ca: files.read(files.caCert),
      cert: files.read(files.clientCert),
      key: files.read(files.clientKey),
    };
    const options = patient({
      store: 'redis',
      redis: { url: mutual.url, tls },
      keyPrefix: freshPrefix(),
      l1: true,
    });
    await expectBusCarriesChanges(options);
  });
});
