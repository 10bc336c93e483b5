import type { CacheModuleOptions } from 'nestjs-distributed-cache';
import { cacheOptionsFromEnv, type CacheEnv } from './cache-config.js';

/** Injection token of the sample app's `AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export interface AppConfig {
  /** HTTP port (`PORT`, default 3000). */
  port: number;
  /** SQLite database file, or `:memory:` (`DB_PATH`, default in-memory). */
  dbPath: string;
  /** Artificial latency added to every database query (`DB_LATENCY_MS`, default 200). */
  dbLatencyMs: number;
  /** Options for `CacheModule`, from the `CACHE_*` variables (see `cache-config.ts`). */
  cache: CacheModuleOptions;
}

export interface AppEnv extends CacheEnv {
  PORT?: string;
  DB_PATH?: string;
  DB_LATENCY_MS?: string;
}

export function loadAppConfig(env: AppEnv): AppConfig {
  return {
    port: parseInteger('PORT', env.PORT, 3000),
    dbPath: env.DB_PATH?.trim() || ':memory:',
    dbLatencyMs: parseInteger('DB_LATENCY_MS', env.DB_LATENCY_MS, 200),
    cache: cacheOptionsFromEnv(env),
  };
}

function parseInteger(name: string, value: string | undefined, fallback: number): number {
  const text = value?.trim();
  if (!text) return fallback;
  if (!/^\d+$/.test(text)) {
    throw new Error(`Invalid ${name} ${JSON.stringify(value)}: expected a whole number >= 0.`);
  }
  return Number(text);
}
