import {
  Injectable,
  Logger,
  mixin,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef, Reflector } from '@nestjs/core';
import { lastValueFrom, of, throwError, type Observable } from 'rxjs';
import { DEFAULT_CACHE_NAME, getCacheToken } from '../cache.constants.js';
import type { CacheClient } from '../cache-client.js';
import type { CallResult, WritePolicy } from '../client/distributed-cache.client.js';
import { CacheOptionsError } from '../errors.js';
import { asCallTarget, type CacheCallTarget } from '../interception/cache-call-target.js';
import type { CacheInterceptorOptions } from '../interfaces/http-cache.interface.js';
import { chain, type MaybePromise } from '../utils/maybe-promise.js';
import { isStorableResponse } from './handler-response.js';
import { ResponseCachePlans, type ResponseCachePlan } from './response-cache-plan.js';
import { varyKey } from './response-key.js';

type HttpRequest = { method?: string; originalUrl?: string; url?: string };
type HttpResponse = { setHeader?(name: string, value: string): unknown };

const X_CACHE: Record<CallResult, string> = { hit: 'HIT', miss: 'MISS', stale: 'STALE' };

/**
 * Caches the responses of GET handlers, as `@nestjs/cache-manager`'s `CacheInterceptor` does:
 * keyed by the request URL unless `@CacheKey` says, kept for `@CacheTTL` (seconds or a duration,
 * not milliseconds). Goes through the cache's own cache-aside, so concurrent requests for one key
 * run the handler once, and `grace` serves a stale response when the handler fails. Sets
 * `X-Cache: HIT | MISS | STALE` from what happened. Anything but an HTTP request (RPC, GraphQL,
 * WebSocket), any method but GET and a handler that sends the response itself (`@Res()` without
 * `passthrough`) pass through untouched; the handler's errors reach the caller as they are, and
 * are never cached. A response that cannot be kept (`undefined`, `null`, a stream such as a
 * `StreamableFile`) is sent as it is and counted as a miss.
 *
 * Use it on a controller or handler (`@UseInterceptors(CacheInterceptor)`) or for the whole app
 * (`{ provide: APP_INTERCEPTOR, useClass: CacheInterceptor }`); `CacheInterceptor.with({ cache })`
 * for a named cache. Override `trackBy` or `isRequestCacheable` in a subclass to change the key
 * or which requests are cached.
 */
@Injectable()
export class CacheInterceptor implements NestInterceptor, OnModuleInit {
  /** Set by `CacheInterceptor.with()`. */
  protected static readonly options: CacheInterceptorOptions = {};
  protected allowedMethods = ['GET'];
  private readonly targets = new Map<string, CacheCallTarget | undefined>();
  private plansOf?: ResponseCachePlans;
  private readonly logger = new Logger('CacheInterceptor');

  constructor(
    protected readonly reflector: Reflector,
    protected readonly moduleRef: ModuleRef,
    @Optional() protected readonly httpAdapterHost?: HttpAdapterHost,
  ) {}

  /**
   * This interceptor class, keeping responses in a named cache, or with a TTL or vary parts for
   * every handler that does not set its own: `@UseInterceptors(CacheInterceptor.with({ cache:
   * 'pages' }))`. Works on subclasses that keep the constructor.
   */
  static with<T extends typeof CacheInterceptor>(this: T, options: CacheInterceptorOptions): T {
    class Configured extends (this as typeof CacheInterceptor) {
      protected static override readonly options = { ...super.options, ...options };
    }
    return mixin(Configured as Type) as unknown as T;
  }

  /** The interceptor's own cache must exist: a missing one stops the app, naming it. */
  onModuleInit(): void {
    const name = this.options.cache ?? DEFAULT_CACHE_NAME;
    if (!this.targetOf(name)) {
      throw new CacheOptionsError(
        'cache',
        name,
        `CacheInterceptor keeps responses in this cache, but no CacheModule.forRoot${name === DEFAULT_CACHE_NAME ? '()' : `({ name: '${name}' })`} serves it in this app.`,
      );
    }
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> | Promise<Observable<unknown>> {
    if (context.getType() !== 'http' || this.plan(context).respondsItself) return next.handle();
    return chain(
      () => this.trackBy(context),
      (key) => (key ? this.cachedResponse(context, next, String(key)) : next.handle()),
      (error) => {
        this.logger.error(`Could not make the cache key of ${this.plan(context).name}`, error);
        return next.handle();
      },
    );
  }

  /**
   * The key of this request: `@CacheKey`'s, or the request URL, plus the `@CacheVary` parts;
   * `undefined` leaves it uncached. GET requests only (see `isRequestCacheable`).
   */
  protected trackBy(context: ExecutionContext): MaybePromise<string | undefined | null> {
    if (!this.isRequestCacheable(context)) return undefined;
    const { key, vary } = this.plan(context);
    const base = typeof key === 'function' ? key(context) : (key ?? this.requestUrl(context));
    return chain(base, (found) => (found ? varyKey(found, vary, context) : undefined));
  }

  protected isRequestCacheable(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    return this.allowedMethods.includes(request.method ?? '');
  }

  /** Sets `X-Cache` on the response: `HIT`, `MISS` or `STALE`. */
  protected setCacheHeader(context: ExecutionContext, result: CallResult): void {
    const response = context.switchToHttp().getResponse<HttpResponse>();
    const adapter = this.httpAdapterHost?.httpAdapter;
    if (adapter) adapter.setHeader(response, 'X-Cache', X_CACHE[result]);
    else response.setHeader?.('X-Cache', X_CACHE[result]);
  }

  /** The URL as the HTTP platform reports it (path and query string), the default key. */
  protected requestUrl(context: ExecutionContext): string | undefined {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const adapter = this.httpAdapterHost?.httpAdapter;
    return adapter ? adapter.getRequestUrl(request) : (request.originalUrl ?? request.url);
  }

  private get options(): CacheInterceptorOptions {
    return (this.constructor as typeof CacheInterceptor).options;
  }

  private plan(context: ExecutionContext): ResponseCachePlan {
    this.plansOf ??= new ResponseCachePlans(this.reflector, this.options);
    return this.plansOf.of(context);
  }

  private cachedResponse(
    context: ExecutionContext,
    next: CallHandler,
    key: string,
  ): MaybePromise<Observable<unknown>> {
    const plan = this.plan(context);
    const target = this.targetOf(plan.cacheName ?? this.options.cache ?? DEFAULT_CACHE_NAME);
    if (!target) return next.handle();
    return chain(
      () => this.policyFor(context, plan, target),
      (policy) => {
        // A response that cannot be kept stays with the request whose handler made it; the cache
        // sees `undefined` (never stored), so a request that joined that load runs its own.
        let own: { response: unknown } | undefined;
        const load = () =>
          lastValueFrom(next.handle()).then((response) => {
            if (isStorableResponse(response)) return response;
            own = { response };
            return undefined;
          });
        return chain(
          () => target.cached(key, load, policy),
          (value) => (own ? of(own.response) : value === undefined ? next.handle() : of(value)),
          (error) => throwError(() => error),
        );
      },
      (error) => {
        target.report(`resolving the cache options of ${plan.name}`, error);
        return next.handle();
      },
    );
  }

  private policyFor(
    context: ExecutionContext,
    plan: ResponseCachePlan,
    target: CacheCallTarget,
  ): MaybePromise<WritePolicy> {
    const ttl = typeof plan.ttl === 'function' ? plan.ttl(context) : plan.ttl;
    const stats = target.methodStats?.(plan.name);
    return chain(ttl, (value) => ({
      ttlMs: target.ttlMsOf(value, `the @CacheTTL of ${plan.name}`),
      method: plan.name,
      onResult: (result: CallResult) => {
        this.setCacheHeader(context, result);
        stats?.onResult(result);
      },
      onLoad: stats?.onLoad,
    }));
  }

  /** The cache of that name as the app injects it; `undefined` (and a warning, once) if none. */
  private targetOf(name: string): CacheCallTarget | undefined {
    if (this.targets.has(name)) return this.targets.get(name);
    let target: CacheCallTarget | undefined;
    try {
      target = asCallTarget(
        this.moduleRef.get<CacheClient>(getCacheToken(name), { strict: false }),
      );
    } catch {
      this.logger.warn(
        `No cache named '${name}' in this app: the responses meant for it are not cached. Add CacheModule.forRoot({ name: '${name}' }).`,
      );
    }
    this.targets.set(name, target);
    return target;
  }
}
