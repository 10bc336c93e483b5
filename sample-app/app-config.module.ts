import { Module } from '@nestjs/common';
import { APP_CONFIG, loadAppConfig } from './app-config.js';

/** Provides `APP_CONFIG`, read once from the process environment. */
@Module({
  providers: [{ provide: APP_CONFIG, useFactory: () => loadAppConfig(process.env) }],
  exports: [APP_CONFIG],
})
export class AppConfigModule {}
