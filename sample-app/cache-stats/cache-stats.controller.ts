import { Controller, Get } from '@nestjs/common';
import { CacheClient } from 'nestjs-distributed-cache';

@Controller('cache')
export class CacheStatsController {
  constructor(private readonly cache: CacheClient) {}

  /** Hits, misses and errors of this instance's cache client. */
  @Get('stats')
  stats(): ReturnType<CacheClient['stats']> {
    return this.cache.stats();
  }
}
