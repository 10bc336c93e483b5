import {
  startMemcached,
  startRedis,
  type RedisServer,
  type ServerProcess,
} from '../../test/support/servers.js';
import { startOurApp, type OurApp } from '../contenders/ours.js';
import type { CacheModuleOptions } from '../../lib/index.js';
import type { RunSettings } from './types.js';

/** What every scenario shares: the settings, the servers, and a way to close what it opened. */
export class BenchContext {
  private readonly closers: (() => Promise<unknown>)[] = [];

  private constructor(
    readonly settings: RunSettings,
    readonly redis: RedisServer,
    readonly memcached: ServerProcess,
  ) {}

  static async start(settings: RunSettings): Promise<BenchContext> {
    const started = await Promise.allSettled([startRedis(), startMemcached()]);
    const [redis, memcached] = started;
    if (redis.status === 'fulfilled' && memcached.status === 'fulfilled') {
      return new BenchContext(settings, redis.value, memcached.value);
    }
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    throw started.find((s) => s.status === 'rejected')?.reason;
  }

  /** Registers something to close at the end; answers it. */
  own<T extends { close(): Promise<unknown> }>(resource: T): T {
    this.closers.push(() => resource.close());
    return resource;
  }

  /** A fresh Nest app using our module with `options`, closed at the end. */
  async ours(options: CacheModuleOptions): Promise<OurApp> {
    return this.own(await startOurApp(options));
  }

  redisOptions(extra: Record<string, unknown> = {}): CacheModuleOptions {
    return { store: 'redis', redis: { url: this.redis.url, options: extra } };
  }

  memcachedOptions(): CacheModuleOptions {
    return { store: 'memcached', memcached: { servers: [this.memcached.address] } };
  }

  /**
   * Closes and lets go of everything opened so far, newest first. Run after each scenario: what a
   * scenario filled (a peer's unbounded in-memory store after millions of misses) must not weigh on
   * the garbage collector during the next one.
   */
  async release(): Promise<void> {
    const closers = this.closers.splice(0).reverse();
    for (const close of closers) await close().catch(() => undefined);
  }

  /** Releases everything, then stops the servers. */
  async close(): Promise<void> {
    await this.release();
    await Promise.all([this.redis.stop(), this.memcached.stop()]);
  }
}
