import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailureLog } from '../../lib/resilience/failure-log.js';

describe('FailureLog', () => {
  afterEach(() => vi.useRealTimers());

  it('logs the first failure of a burst and holds back the rest', () => {
    const logger = new Logger('test');
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const log = new FailureLog(logger);
    for (let i = 0; i < 100; i++) log.report('redis get', new Error('ECONNREFUSED'));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/redis get failed.*ECONNREFUSED/);
  });

  it('logs again after the quiet period, saying how many it held back', () => {
    vi.useFakeTimers();
    const logger = new Logger('test');
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const log = new FailureLog(logger);
    log.report('get', new Error('down'));
    log.report('get', new Error('down'));
    log.report('get', new Error('down'));
    vi.advanceTimersByTime(10_001);
    log.report('set', new Error('still down'));
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[1][0]).toMatch(/still down.*2 similar failures/);
  });
});
