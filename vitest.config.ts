import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // swc emits decorator metadata; without it Nest's injection by type silently breaks.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: [
      { find: /^nestjs-distributed-cache$/, replacement: source('./lib/index.ts') },
      {
        find: /^nestjs-distributed-cache\/terminus$/,
        replacement: source('./lib/terminus/index.ts'),
      },
      {
        find: /^nestjs-distributed-cache\/opentelemetry$/,
        replacement: source('./lib/observability/opentelemetry.ts'),
      },
      {
        find: /^nestjs-distributed-cache\/prometheus$/,
        replacement: source('./lib/observability/prometheus.ts'),
      },
    ],
  },
  test: {
    include: ['test/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
