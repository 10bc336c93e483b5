import { describe, expect, it } from 'vitest';
import { ConnectionLanes } from '../../lib/stores/connection-lanes.js';

describe('ConnectionLanes', () => {
  it('takes the lanes in turn while none has a command in flight', () => {
    const lanes = new ConnectionLanes(3);
    expect(Array.from({ length: 6 }, () => lanes.choose())).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('sends a command on the lane with the fewest commands in flight', () => {
    const lanes = new ConnectionLanes(3);
    lanes.sent(0);
    lanes.sent(0);
    lanes.sent(1);
    expect(lanes.choose()).toBe(2);
    lanes.sent(2);
    lanes.sent(2);
    expect(lanes.choose()).toBe(1);
    lanes.settled(0);
    lanes.settled(0);
    expect(lanes.choose()).toBe(0);
  });

  it('goes around a lane held up by a large reply: the other lanes take every new command', () => {
    const lanes = new ConnectionLanes(2);
    lanes.sent(0); // a large reply, unanswered
    for (let i = 0; i < 5; i++) {
      const lane = lanes.choose();
      expect(lane).toBe(1);
      lanes.sent(lane);
      lanes.settled(lane);
    }
  });

  it('keeps every command on a key on the lane of a write to it still in flight', () => {
    const lanes = new ConnectionLanes(3);
    const lane = lanes.choose('k');
    lanes.sent(lane, 'k');
    lanes.sent(lane); // that lane is now the busiest
    expect(lanes.choose('k')).toBe(lane);
    expect(lanes.choose(['other', 'k'])).toBe(lane);
    expect(lanes.choose('other')).not.toBe(lane);
    lanes.settled(lane, 'k');
    expect(lanes.holdsWrites).toBe(false);
  });

  it('releases a key only once every write to it has settled', () => {
    const lanes = new ConnectionLanes(2);
    lanes.sent(1, ['a', 'b']);
    lanes.sent(1, 'a');
    lanes.settled(1, ['a', 'b']);
    expect(lanes.choose('a')).toBe(1);
    lanes.sent(1);
    lanes.sent(1);
    expect(lanes.choose('b')).toBe(0);
    lanes.settled(1, 'a');
    expect(lanes.holdsWrites).toBe(false);
  });

  it('skips a lane that cannot reach the server, and takes turns when none can', () => {
    const down = new Set([0]);
    const lanes = new ConnectionLanes(3, (lane) => !down.has(lane));
    expect(Array.from({ length: 4 }, () => lanes.choose())).toEqual([1, 2, 1, 2]);
    down.add(1).add(2);
    expect(Array.from({ length: 3 }, () => lanes.choose()).sort()).toEqual([0, 1, 2]);
  });
});
