import { Injectable } from '@nestjs/common';
import { expect } from 'vitest';
import { Cacheable, type CacheModuleOptions } from '../../lib/index.js';
import { startCacheApp } from './cache-app.js';

/** A decorated service whose calls a test counts: each one that ran its body. */
@Injectable()
export class ReportService {
  calls = 0;

  @Cacheable({ key: (id: number) => `report:${id}` })
  async build(id: number): Promise<string> {
    this.calls++;
    return `report ${id}`;
  }
}

/**
 * Starts an app on a cache it cannot use (refused password, TLS, SASL…) and checks that it fails
 * open: it starts, every call returns the method's own result (run each time, nothing cached),
 * writes answer `false`, and the failures are counted. Closes the app.
 */
export async function expectFailsOpen(options: CacheModuleOptions): Promise<void> {
  const app = await startCacheApp(options, [ReportService]);
  try {
    const reports = app.get(ReportService);
    expect(await reports.build(1)).toBe('report 1');
    expect(await reports.build(1)).toBe('report 1');
    expect(reports.calls).toBe(2);
    expect(await app.client.set('k', 1)).toBe(false);
    expect(app.client.stats().errors).toBeGreaterThan(0);
  } finally {
    await app.close();
  }
}
