import { concat, defer, from, ignoreElements, isObservable, Observable, of, switchMap } from 'rxjs';
import type { DistributedCacheClient, WritePolicy } from '../client/distributed-cache.client.js';
import type {
  CacheableOptions,
  CacheEvictOptions,
  CachePutOptions,
} from '../interfaces/cache-decorator-options.interface.js';
import { chain, isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import { defaultKey, resolve, resolveKey, resolveList } from './cache-key.js';
import { observedKind } from './method-kind.js';
import type { MethodPlan } from './method-plan.js';

/** One call of a decorated method: evict-before → cache-aside or put → evict-after. */
export function invokeWithCache(
  plan: MethodPlan,
  client: DistributedCacheClient,
  args: unknown[],
  run: () => unknown,
): unknown {
  const call = new CachedCall(plan, client, args, run);
  return call.invoke();
}

class CachedCall {
  constructor(
    private readonly plan: MethodPlan,
    private readonly client: DistributedCacheClient,
    private readonly args: unknown[],
    private readonly run: () => unknown,
  ) {}

  invoke(): unknown {
    const { kind, evictBefore, evictAfter } = this.plan;
    if (kind === 'observable') return this.invokeObservable();
    const result =
      evictBefore.length === 0 && evictAfter.length === 0 ? this.main() : this.withEvictions();
    return this.plan.kind === 'promise' && !isPromiseLike(result)
      ? Promise.resolve(result)
      : result;
  }

  private withEvictions(): MaybePromise<unknown> {
    const before = this.evictAll(this.plan.evictBefore);
    return chain(before, () =>
      chain(
        () => this.main(),
        (value) => chain(this.evictAll(this.plan.evictAfter), () => value),
      ),
    );
  }

  private main(): MaybePromise<unknown> {
    const { cacheable, put } = this.plan;
    if (cacheable) return this.cacheAside(cacheable);
    if (put) return this.putResult(put);
    return this.runAndLearn();
  }

  private cacheAside(options: CacheableOptions): MaybePromise<unknown> {
    const policy = this.policyFor(options);
    if (!policy) return this.runAndLearn();
    // The method's kind known, the loader is the method itself (one closure less on every call).
    const load = this.plan.kind === 'unknown' ? () => this.runAndLearn() : this.run;
    return this.client.cached(policy.key, load, policy);
  }

  private putResult(options: CachePutOptions): MaybePromise<unknown> {
    const policy = this.policyFor(options);
    return chain(
      () => this.runAndLearn(),
      (value) =>
        policy ? chain(this.client.write(policy.key, value, policy), () => value) : value,
    );
  }

  /** Runs the method, learning its kind. An Observable met before its kind was known is not cached. */
  private runAndLearn(): unknown {
    const result = this.run();
    if (this.plan.kind === 'unknown') this.plan.kind = observedKind(result);
    return result;
  }

  /** The key and write policy of this call, or `undefined` to bypass the cache. */
  private policyFor(options: CacheableOptions): (WritePolicy & { key: string }) | undefined {
    const { args, plan, client } = this;
    try {
      if (options.condition && !options.condition(...args)) return undefined;
      const key =
        options.key === undefined
          ? defaultKey(plan.className, plan.methodName, args)
          : resolveKey(options.key, args, plan.name);
      const tags =
        options.tags === undefined ? undefined : resolveList(options.tags, args, 'tags', plan.name);
      const unless = options.unless;
      return {
        key,
        ttlMs: this.ttlMsFor(options),
        tags: tags?.length ? tags : undefined,
        shouldStore: unless ? (value) => storable(value) && !unless(value, ...args) : storable,
      };
    } catch (error) {
      client.report(`resolving the cache options of ${plan.name}`, error);
      return undefined;
    }
  }

  /** The entry's TTL in milliseconds: parsed at startup when constant, else from this call. */
  private ttlMsFor(options: CacheableOptions): number | undefined {
    const { plan, client, args } = this;
    if (plan.constantTtl) return plan.constantTtl.ms;
    const ttl = options.ttl === undefined ? undefined : resolve(options.ttl, args);
    return client.ttlMsOf(ttl, plan.name);
  }

  private evictAll(evicts: readonly CacheEvictOptions[]): MaybePromise<void> {
    return evicts.reduce<MaybePromise<void>>(
      (previous, evict) => chain(previous, () => this.evict(evict)),
      undefined,
    );
  }

  private evict(options: CacheEvictOptions): MaybePromise<void> {
    const { args, plan } = this;
    if (options.allEntries) return chain(this.client.clear(), () => undefined);
    try {
      const keys = [
        ...(options.key === undefined ? [] : [resolveKey(options.key, args, plan.name)]),
        ...resolveList(options.keys, args, 'keys', plan.name),
      ];
      return this.client.evict(keys, resolveList(options.tags, args, 'tags', plan.name));
    } catch (error) {
      this.client.report(`resolving the eviction of ${plan.name}`, error);
    }
  }

  private invokeObservable(): Observable<unknown> {
    const afterEach = (source: Observable<unknown>) =>
      concat(
        source,
        this.deferred(() => this.evictAll(this.plan.evictAfter)),
      );
    return concat(
      this.deferred(() => this.evictAll(this.plan.evictBefore)),
      defer(() => afterEach(this.mainObservable())),
    );
  }

  private mainObservable(): Observable<unknown> {
    const { cacheable, put } = this.plan;
    const policy = cacheable ? this.policyFor(cacheable) : put ? this.policyFor(put) : undefined;
    if (!policy) return asObservable(this.run());
    const storeLast = () =>
      storingLast(asObservable(this.run()), (value) =>
        this.client.write(policy.key, value, policy),
      );
    if (put) return storeLast();
    return from(Promise.resolve(this.client.read(policy.key))).pipe(
      switchMap((found) => (found.hit ? of(found.value) : storeLast())),
    );
  }

  private deferred(work: () => MaybePromise<unknown>): Observable<never> {
    return defer(() => from(Promise.resolve(work()))).pipe(ignoreElements());
  }
}

/** A method result that can be stored: not an Observable or a promise met where a value was due. */
function storable(value: unknown): boolean {
  return !isObservable(value) && !isPromiseLike(value);
}

function asObservable(value: unknown): Observable<unknown> {
  return isObservable(value) ? value : from(Promise.resolve(value));
}

/** Mirrors `source`; when it completes, stores its last value before completing. */
function storingLast(
  source: Observable<unknown>,
  store: (value: unknown) => MaybePromise<unknown>,
): Observable<unknown> {
  return new Observable((subscriber) => {
    let last: { value: unknown } | undefined;
    return source.subscribe({
      next: (value) => {
        last = { value };
        subscriber.next(value);
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        if (!last) return subscriber.complete();
        Promise.resolve(store(last.value)).then(() => subscriber.complete());
      },
    });
  });
}
