import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from './app-config.js';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const config = app.get<AppConfig>(APP_CONFIG);
  await app.listen(config.port);
  const store = config.cache.store ?? 'memory';
  const tier = config.cache.l1 ? ' with L1' : '';
  new Logger('Bootstrap').log(
    `Product catalogue on http://localhost:${config.port} (${store} cache${tier})`,
  );
}

await bootstrap();
