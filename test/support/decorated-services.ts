import { Injectable } from '@nestjs/common';
import { Observable, of } from 'rxjs';
import { Cacheable, CacheEvict, CachePut } from '../../lib/index.js';

/** Counts how often each method body really ran. */
export class CallLog {
  private readonly counts = new Map<string, number>();
  hit(name: string) {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  count(name: string) {
    return this.counts.get(name) ?? 0;
  }
}

export interface Product {
  id: number;
  name: string;
}

@Injectable()
export class ProductService {
  readonly calls = new CallLog();
  private readonly rows = new Map<number, Product>([
    [1, { id: 1, name: 'Kettle' }],
    [2, { id: 2, name: 'Teapot' }],
  ]);

  @Cacheable({ key: (id: number) => `product:${id}`, tags: () => ['products'] })
  async findOne(id: number): Promise<Product | null> {
    this.calls.hit('findOne');
    return this.rows.get(id) ?? null;
  }

  @Cacheable({ key: 'products:all', tags: ['products'], ttl: '1h' })
  async findAll(): Promise<Product[]> {
    this.calls.hit('findAll');
    return [...this.rows.values()];
  }

  @Cacheable()
  async search(filter: { name?: string; limit?: number }): Promise<string> {
    this.calls.hit('search');
    return `results for ${JSON.stringify(filter)}`;
  }

  @CacheEvict({ key: (id: number) => `product:${id}` })
  async rename(id: number, name: string): Promise<Product> {
    this.calls.hit('rename');
    const product = { id, name };
    this.rows.set(id, product);
    return product;
  }

  @CacheEvict({ key: (id: number) => `product:${id}` })
  async failingUpdate(_id: number): Promise<never> {
    throw new Error('update failed');
  }

  @CacheEvict({ key: (id: number) => `product:${id}`, beforeInvocation: true })
  async failingUpdateEvictFirst(_id: number): Promise<never> {
    throw new Error('update failed');
  }

  @CacheEvict({ keys: (a: number, b: number) => [`product:${a}`, `product:${b}`] })
  async swap(_a: number, _b: number): Promise<void> {
    this.calls.hit('swap');
  }

  @CacheEvict({ tags: ['products'] })
  async create(product: Product): Promise<Product> {
    this.rows.set(product.id, product);
    return product;
  }

  @CacheEvict({ allEntries: true })
  async reset(): Promise<void> {
    this.calls.hit('reset');
  }

  @CachePut({ key: (id: number) => `product:${id}` })
  async save(id: number, name: string): Promise<Product> {
    this.calls.hit('save');
    const product = { id, name };
    this.rows.set(id, product);
    return product;
  }

  /** Calls a cached method through `this`. */
  async describeProduct(id: number): Promise<string> {
    const product = await this.findOne(id);
    return `#${id}: ${product?.name}`;
  }
}

@Injectable()
export class PolicyService {
  readonly calls = new CallLog();

  @Cacheable({ key: (n: number) => `cond:${n}`, condition: (n: number) => n > 0 })
  async conditional(n: number): Promise<number> {
    this.calls.hit('conditional');
    return n * 2;
  }

  @Cacheable({ key: (n: number) => `unless:${n}`, unless: (result: number) => result < 0 })
  async unlessNegative(n: number): Promise<number> {
    this.calls.hit('unlessNegative');
    return n;
  }

  private attempts = 0;
  @Cacheable({ key: 'flaky' })
  async flaky(): Promise<string> {
    this.calls.hit('flaky');
    if (++this.attempts === 1) throw new Error('first call fails');
    return 'ok';
  }

  /** Declared to return a promise, but throws before making one. */
  @Cacheable({ key: 'throws-sync' })
  throwsSync(): Promise<string> {
    this.calls.hit('throwsSync');
    throw new Error('sync failure');
  }

  @Cacheable({ key: (n: number) => `obs:${n}` })
  stream(n: number): Observable<number> {
    this.calls.hit('stream');
    return of(n, n + 1, n + 2);
  }

  @Cacheable({ key: 'circular' })
  async circular(): Promise<Record<string, unknown>> {
    this.calls.hit('circular');
    const value: Record<string, unknown> = { name: 'loop' };
    value.self = value;
    return value;
  }

  @Cacheable({
    key: () => {
      throw new Error('bad key function');
    },
  })
  async badKey(): Promise<string> {
    this.calls.hit('badKey');
    return 'still returned';
  }

  @Cacheable({ key: 'stampede' })
  async slow(): Promise<string> {
    this.calls.hit('slow');
    await new Promise((resolve) => setTimeout(resolve, 50));
    return 'slow result';
  }
}

/** Synchronous cached methods: the memory store keeps them synchronous; a remote cache refuses them. */
@Injectable()
export class SyncService {
  readonly calls = new CallLog();

  @Cacheable({ key: (n: number) => `sync:${n}` })
  square(n: number): number {
    this.calls.hit('square');
    return n * n;
  }
}
