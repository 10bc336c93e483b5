import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { CacheModule } from 'nestjs-distributed-cache';
import { APP_CONFIG, type AppConfig } from './app-config.js';
import { AppConfigModule } from './app-config.module.js';
import { CacheStatsController } from './cache-stats/cache-stats.controller.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ProductsModule } from './products/products.module.js';
import { CacheOutcomesListener } from './request-context/cache-outcomes.listener.js';
import { RequestContextMiddleware } from './request-context/request-context.middleware.js';

@Module({
  imports: [
    AppConfigModule,
    CacheModule.forRootAsync({
      imports: [AppConfigModule],
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => config.cache,
      isGlobal: true,
    }),
    ProductsModule,
    HealthModule,
    MetricsModule,
  ],
  controllers: [CacheStatsController],
  providers: [CacheOutcomesListener],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestContextMiddleware).forRoutes('*path');
  }
}
