import fc from 'fast-check';
import { expect } from 'vitest';
import type { CacheClient } from '../../lib/index.js';

/** One call of the public API, as fast-check draws it. */
export type Operation =
  | { op: 'set'; key: string; value: unknown; tags: string[]; ttlMs?: number }
  | { op: 'get'; key: string }
  | { op: 'delete'; key: string }
  | { op: 'getMany'; keys: string[] }
  | { op: 'setMany'; entries: { key: string; value: unknown }[] }
  | { op: 'deleteMany'; keys: string[] }
  | { op: 'invalidateTags'; tags: string[] }
  | { op: 'clear' }
  | { op: 'getOrSet'; key: string; value: unknown; tags: string[]; ttlMs?: number }
  | { op: 'tick'; ms: number };

/** Keys that collided or reached internal keys before issue 12, among plain ones. */
const KEYS = ['a', 'b', '__tag__:t', '_tag__:t', '__lock__:a', 'k\uD800', 'k\uDC00', 'k\uFFFD'];
const TAGS = ['t', 'u', '__proto__'];

const key = fc.constantFrom(...KEYS);
const tags = fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 2 });
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer(), { maxKeys: 3 }),
  fc.date({ noInvalidDate: true }),
);

/** Random sequences of operations; with `ttls`, TTLs on writes and moves of the store's clock. */
export function operations(ttls: readonly number[] = []): fc.Arbitrary<Operation[]> {
  const ttlMs = ttls.length
    ? fc.option(fc.constantFrom(...ttls), { nil: undefined })
    : fc.constant(undefined);
  const ops: fc.Arbitrary<Operation>[] = [
    fc.record({ op: fc.constant('set' as const), key, value, tags, ttlMs }),
    fc.record({ op: fc.constant('get' as const), key }),
    fc.record({ op: fc.constant('delete' as const), key }),
    fc.record({ op: fc.constant('getMany' as const), keys: fc.array(key, { maxLength: 4 }) }),
    fc.record({
      op: fc.constant('setMany' as const),
      entries: fc.uniqueArray(fc.record({ key, value }), {
        maxLength: 3,
        selector: (entry) => entry.key,
      }),
    }),
    fc.record({
      op: fc.constant('deleteMany' as const),
      keys: fc.uniqueArray(key, { maxLength: 3 }),
    }),
    fc.record({ op: fc.constant('invalidateTags' as const), tags }),
    fc.record({ op: fc.constant('clear' as const) }),
    fc.record({ op: fc.constant('getOrSet' as const), key, value, tags, ttlMs }),
  ];
  if (ttls.length) {
    ops.push(fc.record({ op: fc.constant('tick' as const), ms: fc.constantFrom(1, 10, 60, 250) }));
  }
  return fc.array(fc.oneof(...ops), { minLength: 1, maxLength: 40, size: 'max' });
}

interface ModelEntry {
  value: unknown;
  /** The epoch of each tag when the entry was written. */
  tags: Map<string, number>;
  /** Clock reading after which the store drops it. */
  expiresAt: number;
}

/**
 * The cache as a plain map: what each call must answer. An entry whose tag was invalidated since
 * it was written reads as a miss, yet stays in the store until deleted (`delete` answers `true`).
 */
export class CacheModel {
  private readonly entries = new Map<string, ModelEntry>();
  private readonly epochs = new Map<string, number>();

  constructor(private readonly now: () => number = () => 0) {}

  visible(key: string): ModelEntry | undefined {
    const entry = this.present(key);
    if (!entry) return undefined;
    for (const [tag, epoch] of entry.tags) if (this.epoch(tag) !== epoch) return undefined;
    return entry;
  }

  present(key: string): ModelEntry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.now() > entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  write(key: string, value: unknown, tags: readonly string[] = [], ttlMs?: number): void {
    const recorded = new Map(tags.map((tag) => [tag, this.epoch(tag)]));
    const expiresAt = ttlMs === undefined ? Infinity : this.now() + ttlMs;
    this.entries.set(key, { value, tags: recorded, expiresAt });
  }

  remove(key: string): boolean {
    const existed = this.present(key) !== undefined;
    this.entries.delete(key);
    return existed;
  }

  invalidate(tags: readonly string[]): void {
    for (const tag of tags) this.epochs.set(tag, this.epoch(tag) + 1);
  }

  clear(): void {
    this.entries.clear();
  }

  private epoch(tag: string): number {
    return this.epochs.get(tag) ?? 0;
  }
}

/** TTLs in the API are seconds or duration strings. */
function ttlOf(ttlMs: number | undefined): string | undefined {
  return ttlMs === undefined ? undefined : `${ttlMs}ms`;
}

/** Runs `ops` on `client` and on the model, asserting that each call answers what the model does. */
export async function runAgainstModel(
  client: CacheClient,
  ops: readonly Operation[],
  model: CacheModel,
  tick: (ms: number) => void = () => undefined,
): Promise<void> {
  for (const [step, operation] of ops.entries()) {
    const where = `step ${step}: ${JSON.stringify(operation)}`;
    switch (operation.op) {
      case 'set': {
        const { key, value, tags, ttlMs } = operation;
        const options = { tags, ttl: ttlOf(ttlMs) };
        expect(await client.set(key, value, options), where).toBe(true);
        model.write(key, value, tags, ttlMs);
        break;
      }
      case 'get':
        expect(await client.get(operation.key), where).toEqual(model.visible(operation.key)?.value);
        break;
      case 'delete':
        expect(await client.delete(operation.key), where).toBe(model.remove(operation.key));
        break;
      case 'getMany': {
        const expected = operation.keys.map((key) => model.visible(key)?.value);
        expect(await client.getMany(operation.keys), where).toEqual(expected);
        break;
      }
      case 'setMany':
        expect(await client.setMany(operation.entries), where).toBe(true);
        for (const { key, value } of operation.entries) model.write(key, value);
        break;
      case 'deleteMany': {
        const existed = operation.keys.filter((key) => model.remove(key)).length;
        expect(await client.deleteMany(operation.keys), where).toBe(existed);
        break;
      }
      case 'invalidateTags':
        expect(await client.invalidateTags(operation.tags), where).toBe(true);
        model.invalidate(operation.tags);
        break;
      case 'clear':
        expect(await client.clear(), where).toBe(true);
        model.clear();
        break;
      case 'getOrSet': {
        const { key, value, tags, ttlMs } = operation;
        const found = model.visible(key);
        const options = { tags, ttl: ttlOf(ttlMs) };
        expect(await client.getOrSet(key, () => value, options), where).toEqual(
          found ? found.value : value,
        );
        if (!found) model.write(key, value, tags, ttlMs);
        break;
      }
      case 'tick':
        tick(operation.ms);
        break;
    }
  }
}
