import { Controller, Get } from '@nestjs/common';
import { CacheClient, type CacheStats } from 'nestjs-distributed-cache';

@Controller('cache')
export class CacheStatsController {
  constructor(private readonly cache: CacheClient) {}

  /** Hits, misses, writes and errors of this instance's cache client. */
  @Get('stats')
  stats(): CacheStats {
    return this.cache.stats();
  }
}
