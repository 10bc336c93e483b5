import {
  CACHE_CONFIG_METADATA,
  CACHE_EVICT_METADATA,
  CACHE_PUT_METADATA,
  CACHEABLE_METADATA,
  DEFAULT_CACHE_NAME,
} from '../cache.constants.js';
import { CacheOptionsError } from '../errors.js';
import type {
  CacheableOptions,
  CacheConfigOptions,
  CacheEvictOptions,
  CachePutOptions,
  FromArgs,
} from '../interfaces/cache-decorator-options.interface.js';
import { checkValueType } from '../serialization/value-type.js';
import type { LoaderResilienceOptions } from '../interfaces/cache-module-options.interface.js';
import type { LoadPolicy } from '../resilience/load-policy.js';
import type { MethodStats } from '../observability/method-stats.js';
import { toTtlMs } from '../utils/ttl.js';
import type { WritePolicy } from '../client/distributed-cache.client.js';
import type { AppCaches } from './app-caches.js';
import { storable } from './storable.js';
import type { CacheCallTarget } from './cache-call-target.js';

/** One cache operation of a method: its decorator's options and the cache they name. */
export interface Operation<O> {
  readonly options: O;
  readonly cacheName: string;
  /** The TTL when it is constant, parsed once (`ms` undefined: no expiry). */
  readonly constantTtl?: { readonly ms: number | undefined };
}

/** What the decorators of one method ask for, on one class (the class of the instance). */
export interface ClassPlan {
  /** `ClassName.method`, for default keys and messages. */
  readonly name: string;
  readonly className: string;
  readonly methodName: string;
  readonly cacheable?: Operation<CacheableOptions>;
  readonly put?: Operation<CachePutOptions>;
  readonly evictBefore: readonly Operation<CacheEvictOptions>[];
  readonly evictAfter: readonly Operation<CacheEvictOptions>[];
}

export type BoundOperation<O> = Operation<O> & {
  readonly target: CacheCallTarget;
  /** `@Cacheable` / `@CachePut`: its resilience options over the cache's, resolved once. */
  readonly load?: LoadPolicy;
  /** `@Cacheable`: the method's counters on its cache. */
  readonly stats?: MethodStats;
  /**
   * `@Cacheable` / `@CachePut`: the write policy of every call, made once, when no option
   * depends on the call's arguments (no `tags`, no `unless`, no `ttl` function).
   */
  readonly fixedPolicy?: WritePolicy;
};

/**
 * `@Cacheable` alone, without `condition` or `refreshAhead` (a hit may start a refresh), its key
 * given and its write policy fixed, on a cache that can answer a hit before any step of
 * cache-aside (`hitAtOnce`): what that shortcut needs.
 */
export interface HitAtOnce {
  readonly key: FromArgs<string, unknown[]>;
  readonly policy: WritePolicy;
  readonly target: CacheCallTarget & Required<Pick<CacheCallTarget, 'hitAtOnce'>>;
}

/** A class plan with each operation's cache found in one app. */
export interface BoundPlan extends ClassPlan {
  readonly cacheable?: BoundOperation<CacheableOptions>;
  readonly put?: BoundOperation<CachePutOptions>;
  readonly evictBefore: readonly BoundOperation<CacheEvictOptions>[];
  readonly evictAfter: readonly BoundOperation<CacheEvictOptions>[];
  /** The cache that `@Cacheable`/`@CachePut` read and write answers at once (memory). */
  readonly synchronous: boolean;
  /** Set when a hit can be answered before any step of cache-aside. */
  readonly hitAtOnce?: HitAtOnce;
}

/** Reads the decorators of `method` (the intercepted function) for instances of `type`. */
export function readClassPlan(method: object, type: object, methodName: string): ClassPlan {
  const cacheable: CacheableOptions | undefined = Reflect.getOwnMetadata(
    CACHEABLE_METADATA,
    method,
  );
  const put: CachePutOptions | undefined = Reflect.getOwnMetadata(CACHE_PUT_METADATA, method);
  const evicts: CacheEvictOptions[] = Reflect.getOwnMetadata(CACHE_EVICT_METADATA, method) ?? [];
  const className = (type as { name?: string }).name || 'anonymous';
  const name = `${className}.${methodName}`;
  if (cacheable && put) {
    throw new CacheOptionsError(
      `@Cacheable and @CachePut on ${name}`,
      'both',
      'Use one of them on a method.',
    );
  }
  const config: CacheConfigOptions = Reflect.getMetadata(CACHE_CONFIG_METADATA, type) ?? {};
  const operation = <O extends { cache?: string; ttl?: unknown }>(
    options: O,
    decorator: string,
  ): Operation<O> => ({
    options,
    cacheName: options.cache ?? config.cache ?? DEFAULT_CACHE_NAME,
    constantTtl: constantTtlOf(options, config, `the ttl of ${decorator} on ${name}`),
  });
  if (cacheable) checkValueOptions(cacheable, `@Cacheable on ${name}`);
  if (put) checkValueOptions(put, `@CachePut on ${name}`);
  return {
    name,
    className,
    methodName,
    cacheable: cacheable && operation(cacheable, '@Cacheable'),
    put: put && operation(put, '@CachePut'),
    evictBefore: evicts.filter((e) => e.beforeInvocation).map((e) => operation(e, '@CacheEvict')),
    evictAfter: evicts.filter((e) => !e.beforeInvocation).map((e) => operation(e, '@CacheEvict')),
  };
}

/** Finds each operation's cache in `app`; throws naming the method when one is missing. */
export function bindPlan(plan: ClassPlan, app: AppCaches): BoundPlan {
  const bind = <O>(operation: Operation<O>, decorator: string): BoundOperation<O> => {
    const target = app.get(operation.cacheName);
    if (!target) {
      const known =
        app
          .names()
          .map((n) => `'${n}'`)
          .join(', ') || 'none';
      throw new CacheOptionsError(
        `cache of ${decorator} on ${plan.name}`,
        operation.cacheName,
        `No cache of that name is registered in this app (known: ${known}). Add CacheModule.forRoot({ name: '${operation.cacheName}', … }) or name an existing cache.`,
      );
    }
    const options = operation.options as LoaderResilienceOptions;
    const load = target.loadPolicyOf?.(options, `${decorator} on ${plan.name}`);
    const stats = decorator === '@Cacheable' ? target.methodStats?.(plan.name) : undefined;
    return { ...operation, target, load, stats };
  };
  const writing = <O extends CacheableOptions>(
    operation: Operation<O>,
    decorator: string,
  ): BoundOperation<O> => {
    const bound = bind(operation, decorator);
    return { ...bound, fixedPolicy: fixedPolicyOf(bound, plan.name) };
  };
  const cacheable = plan.cacheable && writing(plan.cacheable, '@Cacheable');
  const put = plan.put && writing(plan.put, '@CachePut');
  const alone = plan.evictBefore.length === 0 && plan.evictAfter.length === 0;
  return {
    ...plan,
    cacheable,
    put,
    evictBefore: plan.evictBefore.map((e) => bind(e, '@CacheEvict')),
    evictAfter: plan.evictAfter.map((e) => bind(e, '@CacheEvict')),
    synchronous: (cacheable ?? put)?.target.synchronous ?? true,
    hitAtOnce: cacheable && alone ? hitAtOnceOf(cacheable) : undefined,
  };
}

function hitAtOnceOf(cacheable: BoundOperation<CacheableOptions>): HitAtOnce | undefined {
  const { target, fixedPolicy, options } = cacheable;
  if (!target.hitsAtOnce || !target.hitAtOnce || !fixedPolicy) return undefined;
  if (options.key === undefined || options.condition) return undefined;
  if (fixedPolicy.load?.refreshAhead !== undefined) return undefined;
  return { key: options.key, policy: fixedPolicy, target: target as HitAtOnce['target'] };
}

/** The write policy of every call of `operation`, or `undefined` when it depends on the call. */
function fixedPolicyOf(
  operation: BoundOperation<CacheableOptions>,
  name: string,
): WritePolicy | undefined {
  const { options, constantTtl, target, load, stats } = operation;
  if (options.tags !== undefined || options.unless || (!constantTtl && options.ttl !== undefined)) {
    return undefined;
  }
  return {
    ttlMs: constantTtl ? constantTtl.ms : target.ttlMsOf(undefined, `the ttl of ${name}`),
    shouldStore: storable,
    type: options.type,
    clone: options.clone,
    load,
    method: name,
    onResult: stats?.onResult,
    onLoad: stats?.onLoad,
  };
}

/** `type` and `clone` of a caching decorator, checked when the app starts. */
function checkValueOptions(options: CacheableOptions, where: string): void {
  checkValueType(options.type, `type of ${where}`);
  if (options.clone !== undefined && typeof options.clone !== 'boolean') {
    throw new CacheOptionsError(`clone of ${where}`, options.clone, 'Use true or false.');
  }
}

/**
 * A constant TTL (the decorator's, else `@CacheConfig`'s) is checked when the app starts, not at
 * the first call, and parsed once. Undefined when computed per call or left to the cache's default.
 */
function constantTtlOf(
  options: { ttl?: unknown },
  config: CacheConfigOptions,
  where: string,
): Operation<unknown>['constantTtl'] {
  const ttl = options.ttl ?? config.ttl;
  if (ttl === undefined || typeof ttl === 'function') return undefined;
  return { ms: toTtlMs(ttl as number | string, where) };
}
