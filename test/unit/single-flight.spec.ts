import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../lib/client/single-flight.js';

const settled = <T>(value: T) => Promise.resolve(value);

describe('SingleFlight', () => {
  it('shares a run with the callers that join it, and forgets it once it settles', async () => {
    const flights = new SingleFlight<number>();
    let finish!: (value: number) => void;
    const first = flights.track(
      'k',
      new Promise<number>((resolve) => (finish = resolve)),
      (v) => v,
    );
    const joined = [flights.join('k'), flights.join('k')];
    finish(7);
    expect(await first).toBe(7);
    expect(await Promise.all(joined)).toEqual([7, 7]);
    expect(flights.join('k')).toBeUndefined();
  });

  it('hands the rejection to every caller that joined', async () => {
    const flights = new SingleFlight<number>();
    const error = new Error('source down');
    let fail!: (error: Error) => void;
    const first = flights.track('k', new Promise<number>((_, reject) => (fail = reject)), (v) => v);
    const joined = flights.join('k');
    fail(error);
    await expect(first).rejects.toBe(error);
    await expect(joined).rejects.toBe(error);
    expect(flights.join('k')).toBeUndefined();
  });

  it('keeps a run registered inside another run of the same key when the outer one ends', async () => {
    const flights = new SingleFlight<string>();
    let finishInner!: (value: string) => void;
    const outer = flights.track('k', settled('outer'), (value) => {
      void flights.track('k', new Promise<string>((resolve) => (finishInner = resolve)), (v) => v);
      return value;
    });
    expect(await outer).toBe('outer');
    const joined = flights.join('k');
    expect(joined).toBeDefined();
    finishInner('inner');
    expect(await joined).toBe('inner');
  });

  it('stays bounded over many distinct keys: idle keys are swept', async () => {
    const flights = new SingleFlight<number>();
    for (let i = 0; i < 20_000; i++) await flights.track(`k${i}`, settled(i), (v) => v);
    expect(flights.size).toBeLessThanOrEqual(4096);
  });

  it('keeps every run in flight when more keys than the sweep threshold are under way', async () => {
    const flights = new SingleFlight<number>();
    const finishes: (() => void)[] = [];
    const runs = Array.from({ length: 10_000 }, (_, i) =>
      flights.track(
        `k${i}`,
        new Promise<number>((resolve) => finishes.push(() => resolve(i))),
        (v) => v,
      ),
    );
    const joined = [flights.join('k0'), flights.join('k9999')];
    expect(joined.every((run) => run !== undefined)).toBe(true);
    finishes.forEach((finish) => finish());
    expect(await Promise.all(joined)).toEqual([0, 9999]);
    expect((await Promise.all(runs)).length).toBe(10_000);
  });
});
