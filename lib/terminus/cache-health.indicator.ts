import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { CacheClient } from '../cache-client.js';
import { getCacheToken } from '../cache.constants.js';
import type { CacheNodePing } from '../interfaces/cache-client.interface.js';

export interface CacheHealthOptions {
  /** The named cache to check (`CacheModule.forRoot({ name })`); the default cache without it. */
  cache?: string;
}

/**
 * A `@nestjs/terminus` health indicator for a cache: `up` when every server answered
 * `CacheClient.ping()`, with each node's address and round trip; `down` naming the servers that
 * did not. Provide it beside `TerminusModule`. Meant for a readiness check, not liveness: the app
 * keeps answering while its cache is down (it reads through to the source), and restarting it
 * would not bring the cache back.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * `{ [key]: { status, nodes } }`, plus a `message` naming the failing nodes when down.
   * @param key Where the result sits in the health report.
   * @example this.health.check([() => this.cache.isHealthy('sessions', { cache: 'sessions' })])
   */
  async isHealthy<const Key extends string = 'cache'>(
    key: Key = 'cache' as Key,
    options: CacheHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    const { ok, nodes } = await this.clientOf(options.cache).ping();
    if (ok) return session.up({ nodes });
    return session.down({ message: downMessage(nodes), nodes });
  }

  private clientOf(name: string | undefined): CacheClient {
    return this.moduleRef.get<CacheClient>(getCacheToken(name), { strict: false });
  }
}

function downMessage(nodes: CacheNodePing[]): string {
  const down = nodes.filter((node) => !node.ok);
  return `Cache down: ${down.map(({ address, error }) => `${address} ${error ?? 'failed'}`).join('; ')}`;
}
