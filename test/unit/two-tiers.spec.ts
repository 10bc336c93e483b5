import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { faithfulSerializer, type CacheBusEvent } from '../../lib/index.js';
import { DecodedValue } from '../../lib/serialization/decoded-value.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';
import type { Invalidation } from '../../lib/tiers/bus-message.js';
import type { InvalidationBusEvents } from '../../lib/tiers/invalidation-bus.js';
import { LocalTier } from '../../lib/tiers/local-tier.js';
import { TwoTiers, type TierBus } from '../../lib/tiers/two-tiers.js';

const codec = new EntryCodec(faithfulSerializer);
const entry = (value: unknown, tags?: Record<string, string>) =>
  new DecodedValue(codec, codec.wrap(codec.serialize(value), tags));

/** A bus that only records what it is asked to publish; the test emits its events. */
class FakeBus extends EventEmitter<InvalidationBusEvents> implements TierBus {
  isUp = false;
  readonly published: Invalidation[] = [];
  async publish(invalidation: Invalidation) {
    this.published.push(invalidation);
  }
  stats() {
    return { sent: 0, received: 0, ignoredOwn: 0, lost: 0, malformed: 0, queued: 0 };
  }
  async close() {}
}

function tiers() {
  const bus = new FakeBus();
  const l1 = new LocalTier({ trusted: false });
  const log = { warn: vi.fn(), log: vi.fn() };
  const clearedElsewhere = vi.fn();
  const twoTiers = new TwoTiers('orders', l1, bus, log, clearedElsewhere);
  const fill = (key: string, value: unknown, tags?: Record<string, string>) =>
    l1.fill(key, entry(value, tags), l1.begin());
  return { bus, l1, log, clearedElsewhere, twoTiers, fill };
}

describe('TwoTiers', () => {
  it('keeps nothing in L1 before the bus is first up', () => {
    const { fill, l1, bus } = tiers();
    expect(fill('k', 1)).toBe(false);
    bus.emit('up');
    expect(fill('k', 1)).toBe(true);
    expect(l1.get('k')?.read()).toBe(1);
  });

  it('drops what a message names: keys, tags, or everything', () => {
    const { fill, l1, bus, clearedElsewhere } = tiers();
    bus.emit('up');
    fill('a', 1);
    fill('b', 2, { t: 'v1' });
    fill('c', 3);
    bus.emit('message', { from: 'other', keys: ['a'] });
    bus.emit('message', { from: 'other', tags: ['t'] });
    expect([l1.get('a'), l1.get('b')]).toEqual([undefined, undefined]);
    expect(l1.get('c')?.read()).toBe(3);
    expect(clearedElsewhere).not.toHaveBeenCalled();
    bus.emit('message', { from: 'other', clear: true });
    expect(l1.get('c')).toBeUndefined();
    expect(clearedElsewhere).toHaveBeenCalledOnce();
  });

  it('empties and bypasses L1 while the bus is down, warns once per outage, and says when it is back', () => {
    const { fill, l1, bus, log } = tiers();
    bus.emit('up');
    fill('k', 1);
    bus.emit('down', 'the subscriber connection closed');
    bus.emit('down', 'the subscriber connection closed');
    expect(l1.stats()).toMatchObject({ entries: 0, trusted: false });
    expect(fill('k', 1)).toBe(false);
    expect(log.warn).toHaveBeenCalledOnce();
    expect(log.warn.mock.calls[0][0]).toMatch(/down \(the subscriber connection closed\)/);
    bus.emit('up');
    expect(log.log).toHaveBeenCalledOnce();
    expect(fill('k', 1)).toBe(true);
  });

  it('publishes on nestjs-distributed-cache:bus each invalidation received (once applied) and each loss and return', () => {
    const { bus, fill, l1 } = tiers();
    const events: CacheBusEvent[] = [];
    const listener = (event: unknown) => {
      events.push(event as CacheBusEvent);
      if ((event as CacheBusEvent).event === 'received') expect(l1.get('a')).toBeUndefined();
    };
    subscribe('nestjs-distributed-cache:bus', listener);
    try {
      bus.emit('up');
      fill('a', 1);
      bus.emit('message', { from: 'other', keys: ['a'], tags: ['t'] });
      bus.emit('message', { from: 'other', clear: true });
      bus.emit('down', 'the subscriber connection closed');
    } finally {
      unsubscribe('nestjs-distributed-cache:bus', listener);
    }
    expect(events).toEqual([
      { cache: 'orders', event: 'up' },
      { cache: 'orders', event: 'received', keys: ['a'], tags: ['t'] },
      { cache: 'orders', event: 'received', clear: true },
      { cache: 'orders', event: 'down', reason: 'the subscriber connection closed' },
    ]);
  });

  it('drops here and announces to the others', async () => {
    const { fill, l1, bus, twoTiers } = tiers();
    bus.emit('up');
    fill('k', 1);
    await twoTiers.dropEverywhere({ keys: ['k'] });
    expect(l1.get('k')).toBeUndefined();
    expect(bus.published).toEqual([{ keys: ['k'] }]);
  });
});
