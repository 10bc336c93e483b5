import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  NamespaceVersion,
  type NamespaceVersionIo,
} from '../../lib/stores/memcached/namespace-version.js';
import { isNewer, newestVersion, versionAfter } from '../../lib/stores/memcached/version-order.js';

/**
 * The version key on a pool of servers, kept in memory with memcached's `add` / CAS semantics:
 * the logic above the wire, which the integration specs run on real memcached pools.
 */
class FakePool {
  readonly items: ({ value: string; cas: number } | undefined)[];
  readonly down = new Set<number>();
  private casCounter = 0;
  /** Holds back the answers of reads (taken when asked) until it resolves. */
  gate?: Promise<void>;

  constructor(servers: number) {
    this.items = new Array(servers).fill(undefined);
  }

  io(failures: unknown[] = []): NamespaceVersionIo {
    return {
      servers: this.items.length,
      read: async (server) => {
        this.reachable(server);
        const item = this.items[server];
        await this.gate;
        return item ? { value: item.value, cas: this.token(item.cas) } : {};
      },
      write: async (server, version, seen) => {
        this.reachable(server);
        const item = this.items[server];
        const unchanged = seen.cas ? item?.cas === seen.cas.readUInt32BE(0) : item === undefined;
        if (unchanged) this.items[server] = { value: version, cas: ++this.casCounter };
        return unchanged;
      },
      partialFailure: (_operation, error) => void failures.push(error),
    };
  }

  set(server: number, value: string): void {
    this.items[server] = { value, cas: ++this.casCounter };
  }

  values(): (string | undefined)[] {
    return this.items.map((item) => item?.value);
  }

  private reachable(server: number): void {
    if (this.down.has(server)) throw new Error(`server ${server} is down`);
  }

  private token(cas: number): Buffer {
    const buffer = Buffer.alloc(8);
    buffer.writeUInt32BE(cas, 0);
    return buffer;
  }
}

const TIMING = { refreshMs: 1000, graceMs: 500 };
const versionOf = (pool: FakePool, timing = TIMING, failures?: unknown[]) =>
  new NamespaceVersion(pool.io(failures), timing);

afterEach(() => {
  vi.useRealTimers();
});

describe('namespace version order', () => {
  it('orders by counter, then by tag, and never by clock', () => {
    expect(isNewer('2-AAAAAAAA', '1-zzzzzzzz')).toBe(true);
    expect(isNewer('10-AAAAAAAA', '9-AAAAAAAA')).toBe(true);
    expect(isNewer('3-bbbbbbbb', '3-aaaaaaaa')).toBe(true);
    expect(isNewer('3-aaaaaaaa', '3-aaaaaaaa')).toBe(false);
    expect(newestVersion(['1-aaaaaaaa', '4-aaaaaaaa', '4-bbbbbbbb', '2-zzzzzzzz'])).toBe(
      '4-bbbbbbbb',
    );
    expect(versionAfter('41-aaaaaaaa')).toMatch(/^42-[\w-]{8}$/);
    expect(versionAfter()).toMatch(/^1-[\w-]{8}$/);
  });
});

describe('NamespaceVersion over a pool', () => {
  it('creates the first version on every server, and a second process reads the same one', async () => {
    const pool = new FakePool(3);
    const first = await versionOf(pool).current();

    expect(pool.values()).toEqual([first, first, first]);
    expect(await versionOf(pool).current()).toBe(first);
  });

  it('takes the newest version any server holds and re-seeds the servers that lack it or hold an older one', async () => {
    const pool = new FakePool(3);
    pool.set(0, '5-aaaaaaaa');
    pool.set(1, '7-aaaaaaaa');

    expect(await versionOf(pool).current()).toBe('7-aaaaaaaa');
    expect(pool.values()).toEqual(['7-aaaaaaaa', '7-aaaaaaaa', '7-aaaaaaaa']);
  });

  it('a clear() from a process whose clock is an hour behind still wins over the version before it', async () => {
    const pool = new FakePool(2);
    const ahead = versionOf(pool);
    const before = await ahead.current();
    vi.useFakeTimers({ now: Date.now() - 3_600_000, toFake: ['Date'] });

    await versionOf(pool).bump();

    vi.useRealTimers();
    const after = pool.values()[0]!;
    expect(isNewer(after, before)).toBe(true);
    expect(await versionOf(pool).current()).toBe(after);
  });

  it('a clear() with one server down takes effect on the others, reports the failure, and the server is re-seeded once back', async () => {
    const pool = new FakePool(3);
    const failures: unknown[] = [];
    const version = versionOf(pool, TIMING, failures);
    const old = await version.current();
    pool.down.add(2);

    await version.bump();

    const cleared = await version.current();
    expect(cleared).not.toBe(old);
    expect(pool.values()).toEqual([cleared, cleared, old]);
    expect(failures).toHaveLength(1);
    pool.down.delete(2);
    expect(await versionOf(pool).current()).toBe(cleared);
    expect(pool.values()).toEqual([cleared, cleared, cleared]);
  });

  it('a clear() rejects when no server takes the new version, and the process keeps the old one', async () => {
    const pool = new FakePool(2);
    const version = versionOf(pool);
    const old = await version.current();
    pool.down.add(0).add(1);

    await expect(version.bump()).rejects.toThrow(/down/);
    expect(await version.current()).toBe(old);
  });

  it('keeps a version it read when every server lost it, and writes it back', async () => {
    const pool = new FakePool(2);
    const version = versionOf(pool, { refreshMs: 0, graceMs: 0 });
    await version.bump();
    const known = await version.current();
    pool.items.fill(undefined);

    expect(await version.current()).toBe(known);
    expect(pool.values()).toEqual([known, known]);
  });

  it('starts a new namespace above the newest when a server holds a value this store never writes', async () => {
    const pool = new FakePool(2);
    pool.set(0, '3-aaaaaaaa');
    pool.set(1, 'not a version');

    const version = await versionOf(pool).current();

    expect(version).toMatch(/^4-/);
    expect(pool.values()).toEqual([version, version]);
  });

  it('a read that began before a clear() of the same process never undoes it', async () => {
    const pool = new FakePool(2);
    const version = versionOf(pool, { refreshMs: 0, graceMs: 0 });
    const old = await version.current();
    let release!: () => void;
    pool.gate = new Promise<void>((resolve) => (release = resolve));
    const reading = version.current();
    pool.gate = undefined;
    await version.bump();
    release();

    const cleared = pool.values()[0];
    expect(cleared).not.toBe(old);
    expect(await reading).toBe(cleared);
    expect(await version.current()).toBe(cleared);
  });

  it('after refreshMs, serves the known version while the new read runs, for graceMs; then waits for the read', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const pool = new FakePool(1);
    const version = versionOf(pool);
    const first = await version.current();
    pool.set(0, versionAfter(first));

    vi.advanceTimersByTime(TIMING.refreshMs + 1);
    expect(version.current()).toBe(first);
    await vi.waitFor(() => expect(version.current()).toBe(pool.values()[0]));

    vi.advanceTimersByTime(TIMING.refreshMs + TIMING.graceMs + 1);
    const waited = version.current();
    expect(waited).toBeInstanceOf(Promise);
    expect(await waited).toBe(pool.values()[0]);
  });
});
