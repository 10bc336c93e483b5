import { CacheError, CacheTimeoutError } from '../errors.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import { CircuitBreakers, type CircuitStats } from './circuit-breaker.js';

/** Keys (or entries) that go to one server, with their positions in the call. */
export interface NodeGroup<T> {
  /** `undefined` when the store cannot name the server (no circuit applies). */
  node: string | undefined;
  items: T[];
  positions: number[];
}

/**
 * The circuit breaker as the store guard uses it: it names the server of a key (the store knows:
 * the master owning its slot on a Cluster, the ring member of a Memcached pool), keeps callers
 * away from a server whose circuit is open, and records each command's outcome on its server.
 * While no server has failed, single-key calls pay one property read.
 */
export class NodeGuard {
  constructor(
    private readonly store: CacheStore,
    readonly breakers: CircuitBreakers,
  ) {}

  /** Whether a command on `key` may go now (claiming the probe of an open circuit that is due). */
  allowsKey(key: string): boolean {
    if (this.breakers.quiet) return true;
    const node = this.store.nodeOf?.(key);
    return node === undefined || this.breakers.allows(node);
  }

  /** Whether the circuit of `key`'s server refuses commands now; claims no probe. */
  refusesKey(key: string): boolean {
    if (this.breakers.quiet) return false;
    const node = this.store.nodeOf?.(key);
    return node !== undefined && this.breakers.isOpen(node);
  }

  allowsNode(node: string | undefined): boolean {
    return node === undefined || this.breakers.allows(node);
  }

  /**
   * For a command every server must take (`clear()`): the servers whose circuit it probes, or
   * `undefined` when some circuit is open and not yet due for a probe.
   */
  claimAll(): string[] | undefined {
    return this.breakers.claimAll();
  }

  /** A command on `keys` was answered: their servers are healthy. */
  answered(keys: readonly string[]): void {
    if (this.breakers.quiet) return;
    for (const node of this.nodesOf(keys)) this.breakers.succeeded(node);
  }

  answeredBy(node: string | undefined): void {
    if (node !== undefined && !this.breakers.quiet) this.breakers.succeeded(node);
  }

  /** A command on `keys` failed: a failure of their servers if the server is to blame. */
  failed(keys: readonly string[], error: unknown): void {
    if (!isServerFailure(error)) return this.answered(keys);
    for (const node of this.nodesOf(keys)) this.breakers.failed(node);
  }

  failedOn(node: string | undefined, error: unknown): void {
    if (node === undefined) return;
    if (isServerFailure(error)) this.breakers.failed(node);
    else this.breakers.succeeded(node);
  }

  /** `items` split by the server of `keyOf(item)`, in call order. */
  groups<T>(items: readonly T[], keyOf: (item: T) => string): NodeGroup<T>[] {
    const nodeOf = this.store.nodeOf?.bind(this.store);
    if (!nodeOf) return [{ node: undefined, items: [...items], positions: items.map((_, i) => i) }];
    const groups = new Map<string | undefined, NodeGroup<T>>();
    items.forEach((item, position) => {
      const node = nodeOf(keyOf(item));
      let group = groups.get(node);
      if (!group) groups.set(node, (group = { node, items: [], positions: [] }));
      group.items.push(item);
      group.positions.push(position);
    });
    return [...groups.values()];
  }

  stats(): CircuitStats {
    return this.breakers.stats();
  }

  private nodesOf(keys: readonly string[]): Set<string> {
    const nodes = new Set<string>();
    for (const key of keys) {
      const node = this.store.nodeOf?.(key);
      if (node !== undefined) nodes.add(node);
    }
    return nodes;
  }
}

/**
 * A failure that says the server is unwell: a timeout, a refused or reset connection. Not one of
 * the package's own refusals (a value too large, a corrupted entry): the server answered those.
 */
export function isServerFailure(error: unknown): boolean {
  return error instanceof CacheTimeoutError || !(error instanceof CacheError);
}
