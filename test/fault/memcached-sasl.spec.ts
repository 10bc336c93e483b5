import { Logger } from '@nestjs/common';
import memjs from 'memjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { freshPrefix, patient, startCacheApp } from '../support/cache-app.js';
import { expectFailsOpen, ReportService } from '../support/fails-open.js';
import { startSaslMemcached } from '../support/sasl-memcached.js';
import type { ServerProcess } from '../support/servers.js';

let pool: { servers: ServerProcess[]; stop(): Promise<void> };
let warn: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  pool = await startSaslMemcached({ cache: 'right-secret' }, 2);
});
afterAll(() => pool?.stop());
beforeEach(() => {
  warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  return () => vi.restoreAllMocks();
});

function onPool(username: string, password: string): CacheModuleOptions {
  return {
    store: 'memcached',
    memcached: { servers: pool.servers.map(({ address }) => address), username, password },
    keyPrefix: freshPrefix(),
  };
}

/** `curr_items` of each server, asked over SASL (`memcached -S` speaks the binary protocol only). */
async function itemsPerServer(): Promise<number[]> {
  return Promise.all(
    pool.servers.map(async ({ address }) => {
      const client = memjs.Client.create(address, {
        username: 'cache',
        password: 'right-secret',
        logger: { log: () => undefined },
      });
      try {
        const stats = await new Promise<Record<string, string>>((resolve, reject) =>
          client.stats((error, _server, found) => (error ? reject(error) : resolve(found ?? {}))),
        );
        return Number(stats.curr_items);
      } finally {
        client.close();
      }
    }),
  );
}

describe('a Memcached pool with SASL (memcached -S)', () => {
  it('caches on every server of the pool with the right credentials', async () => {
    const app = await startCacheApp(patient(onPool('cache', 'right-secret')), [ReportService]);
    try {
      const entries = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: i }));
      expect(await app.client.setMany(entries)).toBe(true);
      expect(await app.client.getMany(entries.map(({ key }) => key))).toEqual(
        entries.map(({ value }) => value),
      );
      const reports = app.get(ReportService);
      await reports.build(1);
      await reports.build(1);
      expect(reports.calls).toBe(1);
      const counts = await itemsPerServer();
      expect(counts.every((count) => count > 0)).toBe(true);
      expect(app.client.stats().errors).toBe(0);
    } finally {
      await app.close();
    }
  });

  it.each([
    ['wrong credentials', 'cache', 'wrong-secret'],
    ['an unknown user', 'nobody', 'right-secret'],
  ])(
    'with %s: the app starts, calls fail open, one line says to correct memcached.username and password',
    async (_, username, password) => {
      await expectFailsOpen(onPool(username, password));
      const lines = warn.mock.calls.map(([line]) => String(line));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /memcached server 127\.0\.0\.1:\d+ refused the SASL credentials, or requires some\. Correct memcached\.username and memcached\.password/,
      );
      expect(lines[0]).not.toContain(password);
    },
  );

  it('a paused server: a call waiting for the login answers within about commandTimeout (not connectTimeout), and caching resumes with the server', async () => {
    const [server] = pool.servers;
    const options: CacheModuleOptions = {
      store: 'memcached',
      memcached: {
        servers: [server.address],
        username: 'cache',
        password: 'right-secret',
        connectTimeout: 10_000,
      },
      commandTimeout: 300,
      keyPrefix: freshPrefix(),
    };
    await server.pause();
    let resumed = false;
    const app = await startCacheApp(options, [ReportService]);
    try {
      const reports = app.get(ReportService);
      // The connection is accepted by the kernel while the login is never answered.
      const started = performance.now();
      expect(await reports.build(1)).toBe('report 1');
      expect(await app.client.get('k')).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(3000);
      expect(app.client.stats().errors).toBeGreaterThan(0);
      server.resume();
      resumed = true;
      await expect.poll(() => app.client.set('k', 1), { timeout: 8000 }).toBe(true);
      expect(await app.client.get('k')).toBe(1);
    } finally {
      if (!resumed) server.resume();
      await app.close();
    }
  });
});
