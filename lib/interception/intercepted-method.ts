import { Logger } from '@nestjs/common';
import { CacheOptionsError } from '../errors.js';
import { appOf, type AppCaches, type PlanHolder } from './app-caches.js';
import { invokeWithCache } from './cache-advice.js';
import { declaredKind, type MethodKind } from './method-kind.js';
import { bindPlan, readClassPlan, type BoundPlan } from './method-plan.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

const SITE = Symbol('nestjs-distributed-cache:intercepted');
const logger = new Logger('CacheModule');

type Binding = BoundPlan | { failure: unknown };

/**
 * One decorated method. Its function on the class is replaced, when the first cache decorator is
 * applied, by one that sends each call through the cache of the app the instance belongs to: so
 * every instance goes through the cache — `this.method()` calls, route handlers, subclasses,
 * transient and request-scoped providers, `moduleRef.create()`, lazily loaded modules — and an
 * instance of no app with a cache runs the method as written. The decorators' options are read and
 * checked when an app starts (or at the first call, for a class the app never listed).
 */
export class InterceptedMethod implements PlanHolder {
  private known?: MethodKind;
  private readonly bindings = new WeakMap<AppCaches, WeakMap<object, Binding>>();
  private last?: { type: object; app: AppCaches; plan: BoundPlan };
  private readonly said = new Set<string>();
  /**
   * The instance of the last cached call and its plan (an instance's app never changes), for an
   * instance made when its app started only: one made later (a request-scoped one) is not kept
   * alive here after its request.
   */
  private lastCall?: { self: object; app: AppCaches; plan: BoundPlan };

  constructor(
    readonly original: Method,
    private readonly prototype: object,
    readonly methodName: string,
    /** The function installed on the class, which carries the decorators' metadata. */
    readonly carrier: object,
  ) {}

  /** Declared, or learned from the first call. */
  get kind(): MethodKind {
    return (this.known ??= declaredKind(this.prototype, this.methodName, this.original));
  }

  set kind(kind: MethodKind) {
    this.known = kind;
  }

  /** The plan for instances of `type` in `app`. Throws, naming the method, when it cannot be kept. */
  planFor(type: object, app: AppCaches): BoundPlan {
    const last = this.last;
    if (last && last.type === type && last.app === app) return last.plan;
    let perApp = this.bindings.get(app);
    if (!perApp) {
      this.bindings.set(app, (perApp = new WeakMap()));
      app.keptBy(this);
    }
    let binding = perApp.get(type);
    if (!binding) perApp.set(type, (binding = this.bind(type, app)));
    if ('failure' in binding) throw binding.failure;
    this.last = { type, app, plan: binding };
    return binding;
  }

  call(self: unknown, args: unknown[]): unknown {
    if (typeof self !== 'object' || self === null) return this.original.apply(self, args);
    // A singleton calls its method again and again: its app and plan are known from the last call.
    const last = this.lastCall;
    if (last !== undefined && last.self === self) {
      return invokeWithCache(this, last.plan, self, args);
    }
    const app = appOf(self);
    if (!app) return this.original.apply(self, args);
    let plan: BoundPlan;
    try {
      plan = this.planFor(self.constructor, app);
    } catch (error) {
      this.reportOnce(error);
      return this.original.apply(self, args);
    }
    if (app.madeAtStartup(self)) this.lastCall = { self, app, plan };
    return invokeWithCache(this, plan, self, args);
  }

  /** The app stopped: its plan and instance are not kept for a next call. */
  forget(app: AppCaches): void {
    if (this.last?.app === app) this.last = undefined;
    if (this.lastCall?.app === app) this.lastCall = undefined;
  }

  private bind(type: object, app: AppCaches): Binding {
    try {
      const plan = bindPlan(readClassPlan(this.carrier, type, this.methodName), app);
      const cached = plan.cacheable ?? plan.put;
      if (
        this.kind === 'sync' &&
        cached &&
        !cached.target.synchronous &&
        !cached.target.replacement
      ) {
        throw synchronousOnRemote(plan, this.prototype, this.methodName);
      }
      return plan;
    } catch (failure) {
      return { failure };
    }
  }

  /** A method whose decorators are wrong runs uncached; said once (at startup it stops the app). */
  private reportOnce(error: unknown): void {
    this.warnOnce(`${error instanceof Error ? error.message : String(error)} Calls run uncached.`);
  }

  /** Logs a problem of this method's caching, each message once. */
  warnOnce(message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    logger.error(message);
  }
}

function synchronousOnRemote(plan: BoundPlan, prototype: object, methodName: string): Error {
  const type = Reflect.getMetadata('design:returntype', prototype, methodName) as { name?: string };
  const cache = (plan.cacheable ?? plan.put)!;
  return new CacheOptionsError(
    `${plan.cacheable ? '@Cacheable' : '@CachePut'} on ${plan.name}`,
    `a synchronous method (declared to return ${type?.name ?? 'a value'})`,
    `Cache '${cache.cacheName}' answers over the network, so a cached call cannot return synchronously: make ${plan.name} async or declare it to return a Promise (or an Observable).`,
  );
}

/**
 * Installs the intercepting function on a decorated method, once, and answers it: the decorators
 * record their metadata on it. Metadata already on the method (decorators applied before ours) is
 * copied over; decorators applied after ours see our function as the method.
 */
export function interceptMethod(
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): object {
  const current = descriptor.value as Method & { [SITE]?: InterceptedMethod };
  if (current[SITE]) return current;
  const intercepted = function (this: unknown, ...args: unknown[]) {
    return site.call(this, args);
  } as Method & { [SITE]?: InterceptedMethod };
  const site = new InterceptedMethod(current, target, String(propertyKey), intercepted);
  for (const key of Reflect.getOwnMetadataKeys(current)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, current), intercepted);
  }
  Object.defineProperty(intercepted, 'name', { value: current.name });
  Object.defineProperty(intercepted, 'length', { value: current.length });
  intercepted[SITE] = site;
  descriptor.value = intercepted;
  return intercepted;
}

/** The interception of a method found on a class, if it has cache decorators. */
export function interceptedMethodOf(method: unknown): InterceptedMethod | undefined {
  return typeof method === 'function'
    ? (method as { [SITE]?: InterceptedMethod })[SITE]
    : undefined;
}
