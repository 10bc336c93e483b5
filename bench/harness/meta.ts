import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { BenchMeta, RunSettings } from './types.js';

/** Packages whose versions go with the results. */
const PACKAGES = [
  'nestjs-distributed-cache',
  'ioredis',
  'memjs',
  'lru-cache',
  'cache-manager',
  'keyv',
  '@keyv/redis',
  'cacheable',
  'bentocache',
  '@nestjs/core',
];

function versionOf(name: string): string {
  const path = name === 'nestjs-distributed-cache' ? '../../' : `../../node_modules/${name}/`;
  const file = new URL(`${path}package.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function serverVersions(): Record<string, string> {
  return {};
}

export function describeMachine(settings: RunSettings): BenchMeta {
  const versions = Object.fromEntries(PACKAGES.map((name) => [name, versionOf(name)]));
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    versions: { ...versions, ...serverVersions() },
    date: new Date().toISOString(),
    mode: settings.quick ? 'quick' : 'full',
    repetitions: settings.repetitions,
    durationMs: settings.durationMs,
  };
}
