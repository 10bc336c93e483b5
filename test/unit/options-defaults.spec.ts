import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { faithfulSerializer } from '../../lib/index.js';
import { CACHE_DEFAULTS, defaultKeyPrefix } from '../../lib/options/cache-defaults.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const INTERFACE = readFileSync(
  new URL('../../lib/interfaces/cache-module-options.interface.ts', import.meta.url),
  'utf8',
);
/** The interfaces of the option sections, by section path. */
const SECTIONS: Record<string, string> = {
  CacheModuleOptions: '',
  LoaderResilienceOptions: '',
  MemoryStoreOptions: 'memory',
  RedisConnectionOptions: 'redis',
  MemcachedConnectionOptions: 'memcached',
  LocalTierOptions: 'l1',
  CompressionOptions: 'compression',
  CircuitBreakerOptions: 'circuitBreaker',
};
/** Defaults written as words rather than literals. */
const WORDS: Record<string, unknown> = {
  '': undefined,
  unbounded: undefined,
  off: undefined,
  on: undefined,
  "the Redis cache's own server": undefined,
};
/** `CACHE_DEFAULTS.redis` holds what the module gives ioredis, not options of its own. */
const NOT_OPTIONS = new Set(['redis.connectTimeout', 'redis.maxReconnectDelay']);

describe('CACHE_DEFAULTS is the one home of every default', () => {
  const table = readmeDefaults();
  const tags = jsdocDefaults();

  it('the README "Options" table lists a default for every option', () => {
    expect(table.size).toBeGreaterThan(20);
    for (const path of optionPaths()) expect([...table.keys()], path).toContain(path);
  });

  it('every default in the README "Options" table is the one in CACHE_DEFAULTS', () => {
    for (const [path, written] of table) {
      // A row for a whole section (`l1`) says in words what leaving it out does.
      if (isSection(defaultAt(path))) expect(written, path).toBeUndefined();
      else expect(written, path).toBe(defaultAt(path));
    }
  });

  it('every @default in cache-module-options.interface.ts is the one in CACHE_DEFAULTS', () => {
    expect(tags.size).toBeGreaterThan(10);
    for (const [path, written] of tags) expect(written, path).toBe(defaultAt(path));
  });

  it('every default in CACHE_DEFAULTS has its @default tag', () => {
    for (const path of optionPaths()) expect([...tags.keys()], path).toContain(path);
  });

  it("gives a named cache the keyPrefix 'cache:<name>:', as the README and the JSDoc say", () => {
    expect(defaultKeyPrefix('sessions')).toBe('cache:sessions:');
    expect(defaultKeyPrefix()).toBe(CACHE_DEFAULTS.keyPrefix);
    expect(README).toContain("`'cache:'` (`'cache:<name>:'` for a named cache)");
    const prose = INTERFACE.replace(/\s*\n\s*\*\s*/g, ' ');
    expect(prose).toContain("A named cache's default is `'cache:<name>:'`");
  });
});

/** `option path -> default` from the README "Options" table (first column, second column). */
function readmeDefaults(): Map<string, unknown> {
  const section = README.slice(README.indexOf('\n## Options\n'));
  const body = section.slice(0, section.indexOf('\n## ', 1));
  const defaults = new Map<string, unknown>();
  for (const line of body.split('\n').filter((row) => row.startsWith('| `'))) {
    const [names, written] = line.split(/(?<!\\)\|/).slice(1, 3);
    for (const path of optionNames(names)) defaults.set(path, parseDefault(written.trim()));
  }
  return defaults;
}

/** `` `redis.host` / `port` `` names `redis.host` and `redis.port`. */
function optionNames(cell: string): string[] {
  const names = [...cell.matchAll(/`([^`]+)`/g)].map(([, name]) => name);
  const section = names[0].includes('.') ? names[0].slice(0, names[0].lastIndexOf('.') + 1) : '';
  return names.map((name, i) => (i === 0 ? name : section + name));
}

/** The first code span of a cell as a literal (`'memory'`, `250`, `true`), or a known word. */
function parseDefault(cell: string): unknown {
  const code = /^`([^`]+)`/.exec(cell)?.[1];
  if (code === undefined) {
    expect(Object.keys(WORDS), `default "${cell}"`).toContain(cell);
    return WORDS[cell];
  }
  return parseLiteral(code);
}

/** `option path -> @default` from the JSDoc of each option field. */
function jsdocDefaults(): Map<string, unknown> {
  const defaults = new Map<string, unknown>();
  const fields = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(\w+)\??:/g;
  for (const match of INTERFACE.matchAll(fields)) {
    const [, comment, field] = match;
    const tag = /@default\s+(\S+)/.exec(comment)?.[1];
    const owner = [...INTERFACE.slice(0, match.index).matchAll(/export interface (\w+)/g)].pop();
    const section = SECTIONS[owner?.[1] ?? ''];
    if (tag === undefined || section === undefined) continue;
    defaults.set(section ? `${section}.${field}` : field, parseLiteral(tag));
  }
  return defaults;
}

function parseLiteral(text: string): unknown {
  if (/^'.*'$/.test(text)) return text.slice(1, -1);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'faithfulSerializer') return faithfulSerializer;
  const number = Number(text.replace(/_/g, ''));
  expect(Number.isFinite(number), `literal ${text}`).toBe(true);
  return number;
}

function defaultAt(path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node as Record<string, unknown> | undefined)?.[key],
      CACHE_DEFAULTS,
    );
}

function isSection(value: unknown): boolean {
  return typeof value === 'object' && value !== null && value !== faithfulSerializer;
}

/** Every leaf of CACHE_DEFAULTS that is the default of an option. */
function optionPaths(): string[] {
  const leaves = (node: object, prefix: string): string[] =>
    Object.entries(node).flatMap(([key, value]) =>
      typeof value === 'object' && value !== faithfulSerializer
        ? leaves(value, `${prefix}${key}.`)
        : [`${prefix}${key}`],
    );
  return leaves(CACHE_DEFAULTS, '').filter((path) => !NOT_OPTIONS.has(path));
}
