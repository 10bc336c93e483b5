import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CacheTimeoutError } from '../../lib/index.js';
import { resolveMemcached } from '../../lib/options/validate-memcached.js';
import { MemcachedStore } from '../../lib/stores/memcached.store.js';
import { RedisStore } from '../../lib/stores/redis.store.js';
import { freshPrefix } from '../support/cache-app.js';
import { startMemcached, startRedis, type ServerProcess } from '../support/servers.js';

// Stand-ins for a future ioredis / memjs that works through its public API but whose internals
// moved: the clients themselves are real, only what the guards probe looks different.
vi.mock('ioredis', async (importOriginal) => {
  const original = await importOriginal<typeof import('ioredis')>();
  class MovedCommand extends original.Command {
    constructor(...args: ConstructorParameters<typeof original.Command>) {
      super(...args);
      delete (this as { isResolved?: boolean }).isResolved;
    }
  }
  return { ...original, Command: MovedCommand };
});
vi.mock('memjs', async (importOriginal) => {
  const original = await importOriginal<{ default: typeof import('memjs') }>();
  const memjs = original.default;
  class MovedServer extends memjs.Server {}
  (MovedServer.prototype as unknown as Record<string, unknown>).listSasl = undefined;
  return { ...original, default: { ...memjs, Server: MovedServer } };
});

const COMMAND_TIMEOUT = 200;
/** The promise is `commandTimeout`; a loaded machine gets 5×. */
const BOUND = COMMAND_TIMEOUT * 5;

/** How long each of `reads` get calls, sent every third of a timeout to a paused server, took to fail. */
async function steadyFailures(get: () => Promise<unknown>, reads: number): Promise<number[]> {
  const pending: Promise<number>[] = [];
  for (let i = 0; i < reads; i++) {
    const sent = performance.now();
    const failed = (error: unknown) => {
      expect(error).toBeInstanceOf(CacheTimeoutError);
      return performance.now() - sent;
    };
    pending.push(get().then(() => Number.POSITIVE_INFINITY, failed));
    await sleep(COMMAND_TIMEOUT / 3);
  }
  return Promise.all(pending);
}

describe('when a driver’s internals are not as tested, the store falls back to its public API', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  describe('ioredis', () => {
    let server: ServerProcess & { url: string };
    const stores: RedisStore[] = [];
    beforeAll(async () => {
      server = await startRedis();
    });
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await server?.stop();
    });

    it('warns once, naming ioredis, and still holds every command to commandTimeout', async () => {
      const open = () => {
        const store = new RedisStore({
          keyPrefix: freshPrefix(),
          commandTimeout: COMMAND_TIMEOUT,
          connection: { url: server.url },
        });
        stores.push(store);
        return store;
      };
      const store = open();
      open();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/^ioredis .* Command has no isResolved/);
      await store.set('k', 'v');
      expect(await store.get('k')).toBe('v');
      await server.pause();
      try {
        const waits = await steadyFailures(() => store.get('k'), 6);
        expect(Math.max(...waits)).toBeLessThan(BOUND);
      } finally {
        server.resume();
      }
    });
  });

  describe('memjs', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await startMemcached();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("warns once, naming memjs, connects with memjs's own Server, and still holds every call to commandTimeout", async () => {
      const keyPrefix = freshPrefix();
      const store = new MemcachedStore({
        keyPrefix,
        commandTimeout: COMMAND_TIMEOUT,
        connection: resolveMemcached({ servers: [server.address] }, keyPrefix),
      });
      try {
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0][0])).toMatch(/^memjs .* no listSasl\(\)/);
        await store.setMany([
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ]);
        expect(await store.getMany(['a', 'b', 'c'])).toEqual(['1', '2', undefined]); // one get per key
        await server.pause();
        try {
          const waits = await steadyFailures(() => store.get('a'), 40); // 2.7 s of traffic
          expect(Math.max(...waits)).toBeLessThan(BOUND);
        } finally {
          server.resume();
        }
      } finally {
        await store.close();
      }
    });
  });
});
