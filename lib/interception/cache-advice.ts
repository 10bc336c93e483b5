import type { Observable } from 'rxjs';
import type { WritePolicy } from '../client/distributed-cache.client.js';
import { NotAtOnce, type FirstRead } from '../client/entry-reads.js';
import { storable } from './storable.js';
import type {
  CacheableOptions,
  CacheEvictOptions,
} from '../interfaces/cache-decorator-options.interface.js';
import { chain, isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import { defaultKey, resolve, resolveKey, resolveList } from './cache-key.js';
import type { InterceptedMethod } from './intercepted-method.js';
import { observedKind } from './method-kind.js';
import type { BoundOperation, BoundPlan, HitAtOnce } from './method-plan.js';
import { invokeObservable, storingLast, thenEvicting } from './observable-advice.js';

/** A write policy with the key it applies to. */
export type CallPolicy = WritePolicy & { key: string };

/**
 * One call of a decorated method: evict-before → cache-aside or put → evict-after. A hit its
 * cache answers at once (`BoundPlan.hitAtOnce`) is returned before any of that.
 */
export function invokeWithCache(
  method: InterceptedMethod,
  plan: BoundPlan,
  self: object,
  args: unknown[],
): unknown {
  const shortcut = plan.hitAtOnce;
  const kind = method.kind;
  if (shortcut === undefined || (kind !== 'promise' && kind !== 'sync')) {
    return new CachedCall(method, plan, self, args).invoke();
  }
  const key = keyAtOnce(shortcut, args, plan.name);
  if (key === undefined) return new CachedCall(method, plan, self, args).invoke();
  const answer = shortcut.target.hitAtOnce(key, shortcut.policy);
  if (!(answer instanceof NotAtOnce)) return kind === 'promise' ? Promise.resolve(answer) : answer;
  return new CachedCall(method, plan, self, args, { key, read: answer.read }).invoke();
}

/** The key of a call that may be answered at once; `undefined` when it throws (reported later). */
function keyAtOnce(shortcut: HitAtOnce, args: unknown[], where: string): string | undefined {
  try {
    return resolveKey(shortcut.key, args, where);
  } catch {
    return undefined;
  }
}

/**
 * The advice around one call, by what the method returns. A promise-returning method's call
 * waits for each cache step; a synchronous method stays synchronous (on the memory store it is
 * cached; evictions on a remote cache are sent, not waited for); an Observable's last value is
 * cached. A method whose kind is not declared runs its first call without a lookup, to learn it.
 * Nothing a cache option does — a key, ttl, tags, condition or unless function that throws —
 * reaches the caller: the call goes on uncached, and the failure is logged and counted.
 */
export class CachedCall {
  readonly run = () => this.method.original.apply(this.self, this.args);

  /**
   * @param known The key of `@Cacheable` and the store's answer for it, when computed and read
   *   before this call was made (`invokeWithCache`).
   */
  constructor(
    readonly method: InterceptedMethod,
    readonly plan: BoundPlan,
    private readonly self: object,
    readonly args: unknown[],
    private readonly known?: { key: string; read?: FirstRead },
  ) {}

  invoke(): unknown {
    switch (this.method.kind) {
      case 'observable':
        return invokeObservable(this);
      case 'unknown':
        return this.firstCall();
      case 'sync':
        return this.invokeSync();
      case 'promise': {
        const { evictBefore, evictAfter } = this.plan;
        const result =
          evictBefore.length === 0 && evictAfter.length === 0 ? this.main() : this.withEvictions();
        return isPromiseLike(result) ? result : Promise.resolve(result);
      }
    }
  }

  /** `@Cacheable` or `@CachePut` on a promise- (or, on the memory store, value-) returning call. */
  main(): MaybePromise<unknown> {
    const { cacheable, put } = this.plan;
    if (cacheable) return this.cacheAside(cacheable, this.run);
    if (put) return chain(this.run, (value) => this.store(put, value));
    return this.run();
  }

  /** The key and write policy of this call, or `undefined` to bypass the cache. */
  policyFor(operation: BoundOperation<CacheableOptions>): CallPolicy | undefined {
    const key = this.keyFor(operation);
    const policy = key === undefined ? undefined : this.writePolicyFor(operation);
    return policy && { ...policy, key: key! };
  }

  /** The key of this call, or `undefined` to bypass the cache (`condition`, or a key that threw). */
  private keyFor(operation: BoundOperation<CacheableOptions>): string | undefined {
    const { args, plan } = this;
    const { options } = operation;
    // Computed before this call only when `@Cacheable` has no `condition`.
    const known = this.knownFor(operation);
    if (known) return known.key;
    try {
      if (options.condition && !options.condition(...args)) return undefined;
      return options.key === undefined
        ? defaultKey(plan.className, plan.methodName, args)
        : resolveKey(options.key, args, plan.name);
    } catch (error) {
      this.reportOptions(operation, error);
      return undefined;
    }
  }

  /** TTL, tags and the rest of this call's write policy; `undefined` when an option threw. */
  private writePolicyFor(operation: BoundOperation<CacheableOptions>): WritePolicy | undefined {
    if (operation.fixedPolicy) return operation.fixedPolicy;
    const { args, plan } = this;
    const { options, stats } = operation;
    try {
      const tags =
        options.tags === undefined ? undefined : resolveList(options.tags, args, 'tags', plan.name);
      return {
        ttlMs: this.ttlMsFor(operation),
        tags: tags?.length ? tags : undefined,
        shouldStore: options.unless ? (value) => this.shouldStore(operation, value) : storable,
        type: options.type,
        clone: options.clone,
        load: operation.load,
        method: plan.name,
        onResult: stats?.onResult,
        onLoad: stats?.onLoad,
      };
    } catch (error) {
      this.reportOptions(operation, error);
      return undefined;
    }
  }

  private reportOptions(operation: BoundOperation<CacheableOptions>, error: unknown): void {
    operation.target.report(`resolving the cache options of ${this.plan.name}`, error);
  }

  /** Stores `value` as `operation` says (when its options resolve), then answers `value`. */
  store(operation: BoundOperation<CacheableOptions>, value: unknown): MaybePromise<unknown> {
    const policy = this.policyFor(operation);
    return policy ? chain(operation.target.write(policy.key, value, policy), () => value) : value;
  }

  evictAll(operations: readonly BoundOperation<CacheEvictOptions>[]): MaybePromise<void> {
    return operations.reduce<MaybePromise<void>>(
      (previous, operation) => chain(previous, () => this.evict(operation)),
      undefined,
    );
  }

  /** Sends the evictions without waiting for them (a synchronous call cannot wait). */
  evictDetached(operations: readonly BoundOperation<CacheEvictOptions>[]): void {
    if (operations.length === 0) return;
    const sent = this.evictAll(operations);
    if (isPromiseLike(sent)) sent.then(undefined, (error) => this.report(operations[0], error));
  }

  report(operation: BoundOperation<unknown>, error: unknown): void {
    operation.target.report(`the cache advice of ${this.plan.name}`, error);
  }

  private withEvictions(): MaybePromise<unknown> {
    const { evictBefore, evictAfter } = this.plan;
    return chain(this.evictAll(evictBefore), () =>
      chain(
        () => this.main(),
        (value) => chain(this.evictAll(evictAfter), () => value),
      ),
    );
  }

  /** A synchronous method: cached when its cache answers at once, evictions never waited for. */
  private invokeSync(): unknown {
    const { evictBefore, evictAfter, synchronous } = this.plan;
    this.evictDetached(evictBefore);
    const value = synchronous ? this.main() : this.run();
    this.evictDetached(evictAfter);
    return value;
  }

  /**
   * The first call of a method whose kind is not declared: it runs at once (no lookup) so that
   * the caller gets the kind the method returns, and its result is stored for the next calls.
   */
  private firstCall(): unknown {
    const { evictBefore, evictAfter, synchronous } = this.plan;
    const operation = this.plan.cacheable ?? this.plan.put;
    this.evictDetached(evictBefore);
    const result = this.run();
    const kind = observedKind(result);
    if (this.method.kind === 'unknown') this.method.kind = kind;
    if (kind === 'observable') {
      const stored = operation
        ? storingLast(result as Observable<unknown>, (value) => this.store(operation, value))
        : (result as Observable<unknown>);
      return thenEvicting(this, stored);
    }
    if (kind === 'promise') {
      const { cacheable } = this.plan;
      const value = cacheable
        ? this.shareFirst(cacheable, result)
        : chain(result, (settled) => (operation ? this.store(operation, settled) : settled));
      return chain(value, (settled) => chain(this.evictAll(evictAfter), () => settled));
    }
    if (operation && !synchronous) {
      this.method.warnOnce(
        `${this.plan.name} returned synchronously, but cache '${operation.cacheName}' answers over the network: its results are not cached. Make it async or declare it to return a Promise.`,
      );
    } else if (operation) {
      this.store(operation, result);
    }
    this.evictDetached(evictAfter);
    return result;
  }

  /**
   * The first call's promise, handed to cache-aside as its load: callers that arrive while it runs
   * join it instead of running the method again. Read once (`Promise.resolve`): a thenable such as
   * a query builder may run again on each `then`.
   */
  private shareFirst(
    operation: BoundOperation<CacheableOptions>,
    result: unknown,
  ): MaybePromise<unknown> {
    const running = Promise.resolve(result);
    // A hit answers without the load: its failure then has no one to reach.
    running.then(undefined, () => undefined);
    return this.cacheAside(operation, () => running);
  }

  /** `load` through cache-aside, or `load` alone when this call bypasses the cache. */
  private cacheAside(
    operation: BoundOperation<CacheableOptions>,
    load: () => MaybePromise<unknown>,
  ): MaybePromise<unknown> {
    const key = this.keyFor(operation);
    const policy = key === undefined ? undefined : this.writePolicyFor(operation);
    const read = this.knownFor(operation)?.read;
    return policy ? operation.target.cached(key!, load, policy, read) : load();
  }

  /** What `invokeWithCache` computed and read for `@Cacheable` before this call was made. */
  private knownFor(operation: BoundOperation<CacheableOptions>) {
    return operation === this.plan.cacheable ? this.known : undefined;
  }

  private ttlMsFor(operation: BoundOperation<CacheableOptions>): number | undefined {
    if (operation.constantTtl) return operation.constantTtl.ms;
    const { ttl } = operation.options;
    return operation.target.ttlMsOf(
      ttl === undefined ? undefined : resolve(ttl, this.args),
      `the ttl of ${this.plan.name}`,
    );
  }

  /** `unless` said keep it, and the value can be stored; a throwing `unless` stores nothing. */
  private shouldStore(operation: BoundOperation<CacheableOptions>, value: unknown): boolean {
    if (!storable(value)) return false;
    try {
      return !operation.options.unless!(value, ...this.args);
    } catch (error) {
      operation.target.report(`the unless function of ${this.plan.name}`, error);
      return false;
    }
  }

  private evict(operation: BoundOperation<CacheEvictOptions>): MaybePromise<void> {
    const { args, plan } = this;
    const { options, target } = operation;
    if (options.allEntries) return chain(target.clear(), () => undefined);
    let keys: string[];
    let tags: readonly string[];
    try {
      keys = [
        ...(options.key === undefined ? [] : [resolveKey(options.key, args, plan.name)]),
        ...resolveList(options.keys, args, 'keys', plan.name),
      ];
      tags = resolveList(options.tags, args, 'tags', plan.name);
    } catch (error) {
      target.report(`resolving the eviction of ${plan.name}`, error);
      return;
    }
    return target.evict(keys, tags, this.plan.name);
  }
}
