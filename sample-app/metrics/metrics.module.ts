import {
  Controller,
  Get,
  Header,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { instrumentCachePrometheus } from 'nestjs-distributed-cache/prometheus';
import { Registry } from 'prom-client';

@Controller()
export class MetricsController implements OnModuleInit, OnModuleDestroy {
  /**
   * This instance's own registry rather than prom-client's default one, so that two app instances
   * in one process (the e2e tests) do not count each other's calls; an app alone would call
   * `instrumentCachePrometheus()` and serve the default registry.
   */
  private readonly registry = new Registry();
  private stop?: () => void;

  onModuleInit(): void {
    this.stop = instrumentCachePrometheus({ registry: this.registry });
  }

  onModuleDestroy(): void {
    this.stop?.();
  }

  /** Prometheus text format: cache requests by result and tier, durations, errors, L1 and bus gauges. */
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

@Module({ controllers: [MetricsController] })
export class MetricsModule {}
