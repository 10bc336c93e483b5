import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CacheHealthIndicator } from 'nestjs-distributed-cache/terminus';

/**
 * `GET /health`: readiness. 503 while a cache server does not answer, so that a load balancer
 * sends traffic to instances whose cache works; the app itself keeps answering (from the
 * database) meanwhile. `GET /health/live`: liveness, never about the cache, since restarting the
 * app would not bring a cache server back.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: CacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  ready() {
    return this.health.check([() => this.cache.isHealthy()]);
  }

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }
}
