import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../../lib/resilience/circuit-breaker.js';

function breakers(failures = 3, breakForMs = 1000) {
  const clock = { now: 0 };
  const events: string[] = [];
  const circuits = new CircuitBreakers(
    { failures, breakForMs },
    (event, address) => events.push(`${event} ${address}`),
    () => clock.now,
  );
  return { circuits, clock, events };
}

describe('CircuitBreakers', () => {
  it('stays closed below `failures` consecutive failures, and a success resets the count', () => {
    const { circuits } = breakers(3);
    circuits.failed('a:1');
    circuits.failed('a:1');
    circuits.succeeded('a:1');
    circuits.failed('a:1');
    circuits.failed('a:1');
    expect(circuits.allows('a:1')).toBe(true);
    expect(circuits.stats().nodes).toEqual([
      { address: 'a:1', state: 'closed', failures: 2, opens: 0 },
    ]);
  });

  it('opens after `failures` in a row, refuses until breakFor is over, logged once', () => {
    const { circuits, clock, events } = breakers(3, 1000);
    for (let i = 0; i < 3; i++) circuits.failed('a:1');
    expect(circuits.allows('a:1')).toBe(false);
    clock.now = 999;
    expect(circuits.allows('a:1')).toBe(false);
    expect(events).toEqual(['opened a:1']);
    expect(circuits.stats().opens).toBe(1);
  });

  it('keeps one circuit per server: another server is not refused', () => {
    const { circuits } = breakers(2);
    circuits.failed('a:1');
    circuits.failed('a:1');
    expect(circuits.allows('a:1')).toBe(false);
    expect(circuits.allows('b:2')).toBe(true);
  });

  it('lets exactly one call through as the probe once breakFor is over', () => {
    const { circuits, clock } = breakers(1, 1000);
    circuits.failed('a:1');
    clock.now = 1000;
    expect(circuits.allows('a:1')).toBe(true);
    expect(circuits.allows('a:1')).toBe(false);
    expect(circuits.stats().nodes[0].state).toBe('half-open');
  });

  it('closes when the probe succeeds (logged once) and sends everything again', () => {
    const { circuits, clock, events } = breakers(1, 1000);
    circuits.failed('a:1');
    clock.now = 1000;
    circuits.allows('a:1');
    circuits.succeeded('a:1');
    expect(circuits.allows('a:1')).toBe(true);
    expect(circuits.allows('a:1')).toBe(true);
    expect(circuits.quiet).toBe(true);
    expect(events).toEqual(['opened a:1', 'closed a:1']);
  });

  it('re-opens for another breakFor when the probe fails, without counting a new opening', () => {
    const { circuits, clock, events } = breakers(1, 1000);
    circuits.failed('a:1');
    clock.now = 1000;
    circuits.allows('a:1');
    circuits.failed('a:1');
    clock.now = 1999;
    expect(circuits.allows('a:1')).toBe(false);
    clock.now = 2000;
    expect(circuits.allows('a:1')).toBe(true);
    expect(circuits.stats().opens).toBe(1);
    expect(events).toEqual(['opened a:1']);
  });

  it('lets another probe through when the first never reported back within breakFor', () => {
    const { circuits, clock } = breakers(1, 1000);
    circuits.failed('a:1');
    clock.now = 1000;
    expect(circuits.allows('a:1')).toBe(true);
    clock.now = 2000;
    expect(circuits.allows('a:1')).toBe(true);
  });

  it('claims every due circuit for a command on all servers, or none while one still refuses', () => {
    const { circuits, clock } = breakers(1, 1000);
    circuits.failed('a:1');
    clock.now = 500;
    circuits.failed('b:2');
    clock.now = 1000;
    expect(circuits.claimAll()).toBeUndefined();
    clock.now = 1500;
    expect(circuits.claimAll()).toEqual(['a:1', 'b:2']);
    expect(circuits.allows('a:1')).toBe(false);
  });

  it('is quiet (nothing to check) until a server fails', () => {
    const { circuits } = breakers();
    expect(circuits.quiet).toBe(true);
    circuits.failed('a:1');
    expect(circuits.quiet).toBe(false);
    circuits.succeeded('a:1');
    expect(circuits.quiet).toBe(true);
  });
});
