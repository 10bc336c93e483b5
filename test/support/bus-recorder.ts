import { afterEach } from 'vitest';
import type { ReceivedInvalidation } from '../../lib/tiers/bus-message.js';
import type { InvalidationBusOptions } from '../../lib/tiers/bus-options.js';
import { InvalidationBus } from '../../lib/tiers/invalidation-bus.js';
import { eventually } from './store-contract.js';

/**
 * Opens buses for the tests of one spec file and closes them after each test; `freshChannel()`
 * names a channel no other test uses.
 */
export function busesOfEachTest(label: string) {
  let channels = 0;
  const opened: InvalidationBus[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((bus) => bus.close()));
  });
  return {
    freshChannel: () => `bus-${label}-${process.pid}-${++channels}`,
    openBus(options: InvalidationBusOptions): InvalidationBus {
      const bus = new InvalidationBus(options);
      opened.push(bus);
      return bus;
    },
  };
}

/** Everything a bus told its owner, in order, with when (performance.now()). */
export interface BusRecorder {
  messages: ReceivedInvalidation[];
  events: { name: 'up' | 'down' | 'lost'; at: number; detail?: unknown }[];
  /** Resolves with the time of the first `name` event after `since`. */
  next(name: 'up' | 'down' | 'lost', since: number, timeoutMs?: number): Promise<number>;
  /** Resolves once a message `matches`. */
  received(matches: (message: ReceivedInvalidation) => boolean, timeoutMs?: number): Promise<void>;
}

export function recordBus(bus: InvalidationBus): BusRecorder {
  const recorder: BusRecorder = {
    messages: [],
    events: [],
    async next(name, since, timeoutMs = 10_000) {
      const find = () => recorder.events.find((event) => event.name === name && event.at >= since);
      await eventually(() => find() !== undefined, timeoutMs);
      return find()!.at;
    },
    async received(matches, timeoutMs = 5000) {
      await eventually(() => recorder.messages.some(matches), timeoutMs);
    },
  };
  bus.on('message', (message) => recorder.messages.push(message));
  bus.on('up', () => recorder.events.push({ name: 'up', at: performance.now() }));
  bus.on('down', (reason) =>
    recorder.events.push({ name: 'down', at: performance.now(), detail: reason }),
  );
  bus.on('lost', (count) =>
    recorder.events.push({ name: 'lost', at: performance.now(), detail: count }),
  );
  return recorder;
}

/** Resolves once `bus` is subscribed. */
export function busUp(bus: InvalidationBus, timeoutMs = 10_000): Promise<void> {
  return eventually(() => bus.isUp, timeoutMs);
}
