import { Logger, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import {
  CACHE_CONFIG_METADATA,
  CACHE_KEY_METADATA,
  CACHE_TTL_METADATA,
  CACHE_VARY_METADATA,
} from '../cache.constants.js';
import type { CacheConfigOptions } from '../interfaces/cache-decorator-options.interface.js';
import type { Ttl } from '../interfaces/cache-module-options.interface.js';
import type {
  CacheInterceptorOptions,
  CacheKeyFactory,
  CacheTtlFactory,
  CacheVaryPart,
} from '../interfaces/http-cache.interface.js';
import { respondsItself } from './handler-response.js';
import { normalizeVary } from './response-key.js';

/** What `CacheInterceptor` does for one handler, read from its metadata once. */
export interface ResponseCachePlan {
  /** `Controller.handler`, for messages. */
  readonly name: string;
  /** The named cache; `undefined`: the interceptor's own. */
  readonly cacheName: string | undefined;
  readonly key: string | CacheKeyFactory | undefined;
  /** `undefined`: the cache's default TTL. */
  readonly ttl: Ttl | CacheTtlFactory | undefined;
  readonly vary: readonly CacheVaryPart[];
  /** The handler sends the response itself (`@Res()`): left alone, the cache never consulted. */
  readonly respondsItself: boolean;
}

/** `@nestjs/cache-manager`'s metadata keys: a decorator of theirs left on a handler after the move. */
const FOREIGN_KEYS = ['cache_module:cache_key', 'cache_module:cache_ttl'];
const logger = new Logger('CacheInterceptor');

/** The plan of each handler (per controller class: an inherited handler may differ by class). */
export class ResponseCachePlans {
  private readonly plans = new WeakMap<object, WeakMap<object, ResponseCachePlan>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly defaults: CacheInterceptorOptions,
  ) {}

  of(context: ExecutionContext): ResponseCachePlan {
    const type = context.getClass();
    const handler = context.getHandler();
    let ofClass = this.plans.get(type);
    if (!ofClass) this.plans.set(type, (ofClass = new WeakMap()));
    let plan = ofClass.get(handler);
    if (!plan) ofClass.set(handler, (plan = this.planOf(type, handler)));
    return plan;
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  private planOf(type: Function, handler: Function): ResponseCachePlan {
    const targets = [handler, type];
    const config = this.reflector.get<CacheConfigOptions | undefined>(CACHE_CONFIG_METADATA, type);
    const plan: ResponseCachePlan = {
      name: `${type.name}.${handler.name}`,
      cacheName: config?.cache ?? this.defaults.cache,
      key: this.reflector.get(CACHE_KEY_METADATA, handler),
      ttl:
        this.reflector.getAllAndOverride(CACHE_TTL_METADATA, targets) ??
        config?.ttl ??
        this.defaults.ttl,
      vary: normalizeVary(
        this.reflector.getAllAndOverride(CACHE_VARY_METADATA, targets) ?? this.defaults.vary ?? [],
      ),
      respondsItself: respondsItself(type, handler),
    };
    warnAboutMigration(plan, targets);
    return plan;
  }
}

/**
 * A number of seconds that reads like milliseconds (as `@nestjs/cache-manager` took it), and
 * decorators of `@nestjs/cache-manager` left in place, which this interceptor does not read.
 */
function warnAboutMigration(plan: ResponseCachePlan, targets: object[]): void {
  const { ttl, name } = plan;
  if (typeof ttl === 'number' && ttl >= 1000 && ttl % 1000 === 0) {
    logger.warn(
      `The TTL of ${name} is ${ttl} seconds (about ${Math.round(ttl / 360) / 10} h). A TTL number is in seconds here; @nestjs/cache-manager read it as milliseconds. Write '${ttl / 1000}s' if you meant ${ttl} ms, or '${ttl}s' to keep ${ttl} seconds without this warning.`,
    );
  }
  const foreign = FOREIGN_KEYS.some((key) =>
    targets.some((target) => Reflect.getMetadata(key, target) !== undefined),
  );
  if (foreign) {
    logger.warn(
      `${name} carries @CacheKey/@CacheTTL of @nestjs/cache-manager, which this CacheInterceptor does not read: import CacheKey and CacheTTL from nestjs-distributed-cache (a TTL there is in seconds, not milliseconds).`,
    );
  }
}
