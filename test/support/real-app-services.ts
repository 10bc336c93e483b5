import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  Scope,
} from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { Observable, of } from 'rxjs';
import {
  Cacheable,
  CacheClient,
  CacheConfig,
  CacheEvict,
  CachePut,
  InjectCache,
} from '../../lib/index.js';
import { CallLog } from './decorated-services.js';

/** Counts method runs across instances (request-scoped and transient providers are many). */
@Injectable()
export class Loads extends CallLog {}

/** The usual generic repository: the cached method is declared once, on the base class. */
@Injectable()
export abstract class BaseRepository {
  protected abstract readonly rows: Map<number, { id: number; kind: string }>;
  constructor(readonly loads: Loads) {}

  @Cacheable()
  async findById(id: number): Promise<{ id: number; kind: string } | undefined> {
    this.loads.hit(`${this.constructor.name}.findById`);
    return this.rows.get(id);
  }
}

@Injectable()
export class UsersRepository extends BaseRepository {
  protected readonly rows = new Map([[1, { id: 1, kind: 'user' }]]);
}

@Injectable()
export class OrdersRepository extends BaseRepository {
  protected readonly rows = new Map([[1, { id: 1, kind: 'order' }]]);
}

@Injectable({ scope: Scope.TRANSIENT })
export class PricingService {
  constructor(readonly loads: Loads) {}

  @Cacheable({ key: (sku: string) => `price:${sku}` })
  async price(sku: string): Promise<number> {
    this.loads.hit('price');
    return sku.length * 100;
  }
}

/** Two consumers of the transient provider: each gets an instance of its own. */
@Injectable()
export class CheckoutService {
  constructor(readonly pricing: PricingService) {}
}
@Injectable()
export class QuoteService {
  constructor(readonly pricing: PricingService) {}
}

@Injectable({ scope: Scope.REQUEST })
export class RequestCatalog {
  constructor(readonly loads: Loads) {}

  @Cacheable({ key: (id: number) => `request-catalog:${id}` })
  async find(id: number): Promise<string> {
    this.loads.hit('RequestCatalog.find');
    return `item ${id}`;
  }
}

/** Request-scoped without saying so: it injects the request. */
@Injectable()
export class ForRequest {
  constructor(
    @Inject(REQUEST) readonly request: unknown,
    readonly loads: Loads,
  ) {}

  @Cacheable({ key: (id: number) => `for-request:${id}` })
  async find(id: number): Promise<string> {
    this.loads.hit('ForRequest.find');
    return `for ${id}`;
  }
}

/** Request-scoped without saying so: it depends on a request-scoped provider. */
@Injectable()
export class UsesRequestCatalog {
  constructor(readonly catalog: RequestCatalog) {}

  @Cacheable({ key: (id: number) => `uses-request-catalog:${id}` })
  async describe(id: number): Promise<string> {
    this.catalog.loads.hit('UsesRequestCatalog.describe');
    return `about ${id}`;
  }
}

@Controller({ path: 'scoped', scope: Scope.REQUEST })
export class ScopedController {
  constructor(readonly loads: Loads) {}

  @Get(':id')
  @Cacheable({ key: (id: number) => `scoped-route:${id}` })
  async find(@Param('id', ParseIntPipe) id: number): Promise<{ id: number }> {
    this.loads.hit('ScopedController.find');
    return { id };
  }
}

/** Never registered as a provider: made with `moduleRef.create()`. */
export class ReportBuilder {
  static runs = 0;

  @Cacheable({ key: (month: string) => `report:${month}` })
  async build(month: string): Promise<string> {
    ReportBuilder.runs++;
    return `report for ${month}`;
  }
}

@Injectable()
export class LazyStatsService {
  static runs = 0;

  @Cacheable({ key: (day: string) => `stats:${day}` })
  async daily(day: string): Promise<number> {
    LazyStatsService.runs++;
    return day.length;
  }
}

/** Loaded with `LazyModuleLoader`, after the app has started. */
@Module({ providers: [LazyStatsService] })
export class LazyStatsModule {}

/** Two named caches, by decorator option and by class default. */
@CacheConfig({ cache: 'sessions', ttl: '10m' })
@Injectable()
export class SessionsService {
  constructor(
    @InjectCache('sessions') readonly sessions: CacheClient,
    readonly loads: Loads,
  ) {}

  @Cacheable({ key: (id: string) => `session:${id}` })
  async find(id: string): Promise<{ id: string }> {
    this.loads.hit('SessionsService.find');
    return { id };
  }

  @CacheEvict({ key: (id: string) => `session:${id}` })
  async end(_id: string): Promise<void> {
    this.loads.hit('SessionsService.end');
  }

  @CacheEvict({ allEntries: true })
  async endAll(): Promise<void> {}

  @Cacheable({ cache: 'catalog', key: (sku: string) => `sku:${sku}` })
  async product(sku: string): Promise<string> {
    this.loads.hit('SessionsService.product');
    return sku.toUpperCase();
  }

  @CachePut({ cache: 'catalog', key: (sku: string) => `sku:${sku}` })
  async renameProduct(sku: string, name: string): Promise<string> {
    return name;
  }
}

/** The default cache, beside the named ones. */
@Injectable()
export class DefaultCacheService {
  constructor(readonly loads: Loads) {}

  @Cacheable({ key: (id: string) => `session:${id}` })
  async find(id: string): Promise<string> {
    this.loads.hit('DefaultCacheService.find');
    return `default ${id}`;
  }
}

@Injectable()
export class MissingCacheService {
  @Cacheable({ cache: 'nope', key: 'x' })
  async find(): Promise<number> {
    return 1;
  }
}

export class Boom extends Error {}
const boom = (): never => {
  throw new Boom('option callback failed');
};

/** Every option callback of every decorator throws; the methods must still answer. */
@Injectable()
export class ThrowingCallbacks {
  readonly calls = new CallLog();

  @Cacheable({ key: boom })
  async badKey(): Promise<string> {
    return 'key';
  }

  @Cacheable({ key: 'bad-ttl', ttl: boom })
  async badTtl(): Promise<string> {
    return 'ttl';
  }

  @Cacheable({ key: 'bad-tags', tags: boom })
  async badTags(): Promise<string> {
    return 'tags';
  }

  @Cacheable({ key: 'bad-condition', condition: boom })
  async badCondition(): Promise<string> {
    return 'condition';
  }

  @Cacheable({ key: 'bad-unless', unless: boom })
  async badUnless(): Promise<string> {
    this.calls.hit('badUnless');
    return 'unless';
  }

  @CachePut({ key: 'bad-put', unless: boom })
  async badPut(): Promise<string> {
    return 'put';
  }

  @CacheEvict({ key: boom })
  async badEvictKey(): Promise<string> {
    return 'evict key';
  }

  @CacheEvict({ keys: boom, beforeInvocation: true })
  async badEvictKeys(): Promise<string> {
    return 'evict keys';
  }

  @CacheEvict({ tags: boom })
  async badEvictTags(): Promise<string> {
    return 'evict tags';
  }

  @Cacheable({ key: 'obs-bad-unless', unless: boom })
  observableUnless(): Observable<string> {
    return of('observable unless');
  }

  @Cacheable({ key: boom })
  observableKey(): Observable<string> {
    return of('observable key');
  }

  @CacheEvict({ tags: boom })
  observableEvict(): Observable<string> {
    return of('observable evict');
  }
}

/** Single-value Observables, as `of()` and `HttpService` make them. */
@Injectable()
export class ObservableService {
  readonly calls = new CallLog();

  @Cacheable({ key: (n: number) => `of:${n}` })
  ofValue(n: number): Observable<number> {
    this.calls.hit('ofValue');
    return of(n * 10);
  }

  /** Emits and completes in one later callback, as an HTTP response does. */
  @Cacheable({ key: (n: number) => `http:${n}` })
  httpLike(n: number): Observable<{ data: number }> {
    this.calls.hit('httpLike');
    return new Observable((subscriber) => {
      const timer = setTimeout(() => {
        subscriber.next({ data: n });
        subscriber.complete();
      }, 5);
      return () => clearTimeout(timer);
    });
  }

  /** No declared return type. */
  @Cacheable({ key: (n: number) => `undeclared-observable:${n}` })
  undeclared(n: number) {
    this.calls.hit('undeclared');
    return of(n + 1);
  }

  /** No declared return type, not async, returns a promise. */
  @Cacheable({ key: (n: number) => `undeclared-promise:${n}` })
  undeclaredPromise(n: number) {
    this.calls.hit('undeclaredPromise');
    return Promise.resolve(n * 2);
  }

  /** No declared return type, not async, answers 20 ms later. */
  @Cacheable({ key: (n: number) => `undeclared-slow:${n}` })
  undeclaredSlow(n: number) {
    this.calls.hit('undeclaredSlow');
    return new Promise<number>((resolve) => setTimeout(() => resolve(n * 2), 20));
  }
}

export class Profile {
  constructor(
    readonly id: number,
    public name: string,
  ) {}

  greet(): string {
    return `hi ${this.name}`;
  }
}

/** Values that are not plain JSON, through the decorators. */
@Injectable()
export class ProfilesService {
  readonly calls = new CallLog();

  @Cacheable({ key: (id: number) => `profile:${id}`, type: Profile })
  async one(id: number): Promise<Profile> {
    this.calls.hit('one');
    return new Profile(id, 'Ada');
  }

  @Cacheable({ key: 'profiles', type: [Profile] })
  async all(): Promise<Profile[]> {
    this.calls.hit('all');
    return [new Profile(1, 'Ada'), new Profile(2, 'Grace')];
  }

  @Cacheable({ key: (id: number) => `untyped-profile:${id}` })
  async untyped(id: number): Promise<Profile> {
    this.calls.hit('untyped');
    return new Profile(id, 'Alan');
  }

  @Cacheable({ key: 'frozen', clone: false })
  async frozen(): Promise<{ tags: string[] }> {
    this.calls.hit('frozen');
    return { tags: ['a'] };
  }

  @Cacheable({ key: 'typed-values' })
  async typedValues(): Promise<{ at: Date; seen: Set<string>; big: bigint; gone: undefined }> {
    this.calls.hit('typedValues');
    return { at: new Date(0), seen: new Set(['x']), big: 10n ** 20n, gone: undefined };
  }
}
