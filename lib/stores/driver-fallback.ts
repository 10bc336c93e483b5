import { Logger } from '@nestjs/common';
import { createRequire } from 'node:module';

export interface DriverFallback {
  /** The npm package whose private state did not look as expected. */
  dependency: 'ioredis' | 'memjs';
  /** The version the package pins and was tested with. */
  tested: string;
  /** What looked different. */
  found: string;
  /** What the public-API fallback loses (never the command timeout). */
  lost: string;
}

const log = new Logger('CacheModule');
const warned = new Set<string>();
const load = createRequire(import.meta.url);

/** Logs, once per process and dependency, that a store uses the dependency's public API only. */
export function warnDriverFallback({ dependency, tested, found, lost }: DriverFallback): void {
  if (warned.has(dependency)) return;
  warned.add(dependency);
  log.warn(
    `${dependency} ${installedVersion(dependency)} is installed, but this package was tested with ${dependency} ${tested}, whose internals it relies on: ${found}. Falling back to ${dependency}'s public API; lost: ${lost}. Every command is still held to commandTimeout. Install ${dependency}@${tested} to get them back.`,
  );
}

/** The version of `dependency` this process loads, or `'(unknown version)'`. */
export function installedVersion(dependency: string): string {
  try {
    return (load(`${dependency}/package.json`) as { version: string }).version;
  } catch {
    return '(unknown version)';
  }
}
