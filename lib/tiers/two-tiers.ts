import type { EventEmitter } from 'node:events';
import { publishBusEvent } from '../observability/cache-channels.js';
import type { Invalidation } from './bus-message.js';
import type { InvalidationBusEvents, InvalidationBusStats } from './invalidation-bus.js';
import type { LocalTier, LocalTierStats } from './local-tier.js';

/** What the tiers need of a bus: `InvalidationBus`, or a stand-in in a unit test. */
export interface TierBus extends EventEmitter<InvalidationBusEvents> {
  readonly isUp: boolean;
  publish(invalidation: Invalidation): Promise<void>;
  stats(): InvalidationBusStats;
  close(): Promise<void>;
}

export interface TwoTierStats {
  l1: LocalTierStats;
  /** Absent without a bus. */
  bus?: InvalidationBusStats & { up: boolean };
}

/** Where the tiers say what happened to their trust: the module's logger. */
export interface TierLog {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * Keeps one cache's L1 consistent with the other app servers: what arrives on the bus is dropped
 * from L1; what this server changes is dropped here and announced to the others. L1 is trusted
 * only while the bus is subscribed: emptied and bypassed from the moment the subscription is lost
 * until it is back, so that a message missed meanwhile can never leave a stale copy behind.
 */
export class TwoTiers {
  private wasDown = false;
  /** Callers waiting to hear that a key changed elsewhere (a distributed load's waiters). */
  private readonly listeners = new Map<string, Set<() => void>>();

  /**
   * @param clearedElsewhere Called when another app server cleared the cache, so that the store
   *   can drop what assumed otherwise (Memcached's namespace version).
   */
  constructor(
    private readonly name: string,
    readonly l1: LocalTier,
    private readonly bus: TierBus | undefined,
    private readonly log: TierLog,
    clearedElsewhere: () => void = () => undefined,
  ) {
    if (!bus) return;
    bus.on('message', (message) => {
      if (message.clear) clearedElsewhere();
      this.drop(message);
      this.notify(message);
      publishBusEvent(() => ({ cache: name, event: 'received', ...invalidationOf(message) }));
    });
    bus.on('up', () => this.busUp());
    bus.on('down', (reason) => this.busDown(reason));
    bus.on('refused', (error) =>
      log.warn(`The invalidation bus cannot subscribe, so L1 stays bypassed: ${error.message}`),
    );
    bus.on('lost', (count) =>
      log.warn(
        `The invalidation bus dropped ${count} queued messages; the other app servers will be told to clear their L1 instead.`,
      ),
    );
  }

  /** Drops, in this process only, what `invalidation` names. */
  drop({ keys, tags, clear }: Invalidation): void {
    if (clear) return this.l1.clear();
    if (keys?.length) this.l1.delete(keys);
    if (tags?.length) this.l1.invalidateTags(tags);
  }

  /** Tells the other app servers to drop what `invalidation` names; never rejects. */
  announce(invalidation: Invalidation): Promise<void> {
    return this.bus ? this.bus.publish(invalidation) : Promise.resolve();
  }

  /** Drops here, then tells the others: after a delete, a tag invalidation or a clear. */
  dropEverywhere(invalidation: Invalidation): Promise<void> {
    this.drop(invalidation);
    return this.announce(invalidation);
  }

  /** Resolves once the bus is up (L1 answers), or after `timeoutMs`; never rejects. */
  async ready(timeoutMs: number): Promise<void> {
    const bus = this.bus;
    if (!bus || bus.isUp) return;
    let listener!: () => void;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      listener = () => {
        clearTimeout(timer);
        resolve();
      };
      bus.once('up', listener);
    });
    bus.off('up', listener);
  }

  /**
   * Resolves when another app server announces a change of `key` (or a clear), or after `ms`;
   * never rejects. Without a bus, after `ms`.
   */
  changeOf(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let listeners = this.listeners.get(key);
      if (!listeners) this.listeners.set(key, (listeners = new Set()));
      const done = () => {
        clearTimeout(timer);
        listeners.delete(done);
        if (listeners.size === 0 && this.listeners.get(key) === listeners)
          this.listeners.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      listeners.add(done);
    });
  }

  stats(): TwoTierStats {
    const l1 = this.l1.stats();
    return this.bus ? { l1, bus: { ...this.bus.stats(), up: this.bus.isUp } } : { l1 };
  }

  async close(): Promise<void> {
    await this.bus?.close();
  }

  private notify({ keys, clear }: Invalidation): void {
    if (this.listeners.size === 0) return;
    const named = clear ? [...this.listeners.keys()] : (keys ?? []);
    for (const key of named) for (const done of [...(this.listeners.get(key) ?? [])]) done();
  }

  private busUp(): void {
    this.l1.trust();
    publishBusEvent(() => ({ cache: this.name, event: 'up' }));
    if (this.wasDown) this.log.log('The invalidation bus is back: L1 answers again.');
    this.wasDown = false;
  }

  private busDown(reason: string): void {
    this.l1.distrust();
    publishBusEvent(() => ({ cache: this.name, event: 'down', reason }));
    if (!this.wasDown) {
      this.log.warn(
        `The invalidation bus is down (${reason}): L1 is emptied and bypassed until it is back.`,
      );
    }
    this.wasDown = true;
  }
}

/** What a received message names, without its sender. */
function invalidationOf({ keys, tags, clear }: Invalidation): Invalidation {
  return { ...(keys && { keys }), ...(tags && { tags }), ...(clear && { clear }) };
}
