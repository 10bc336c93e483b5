/**
 * The published package as a user gets it: `npm pack` builds the tarball, and two consumer
 * projects install it the way npm would (extracted into their node_modules, its dependencies and
 * peers next to it), without any network access:
 *
 * - an ES module app on NestJS 12, compiled with `module: nodenext`;
 * - a CommonJS app on NestJS 11 (`require()` of this ES module package, Node >= 20.19), compiled
 *   with `module: commonjs`, and type-checked with `module: nodenext` as Nest 11's starter does.
 *
 * Both compile fixtures/users-app.ts (written from DESIGN.md only) against the shipped `.d.ts`,
 * run it with node and assert on the JSON it prints. Wrong calls must fail to compile. Neither
 * has an optional peer (`@nestjs/terminus`) installed; a third ES module app that has it runs
 * fixtures/health-app.ts through the `nestjs-distributed-cache/terminus` subpath.
 *
 * NestJS 11 comes from test/package/nest11 (the `nest11-fixture` devDependency): it cannot sit in
 * the root node_modules next to NestJS 12, since @nestjs/core 11 takes @nestjs/common 11 as a peer.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NEST11_FIXTURE = join(REPO, 'test/package/nest11');
const USERS_APP = join(REPO, 'test/package/fixtures/users-app.ts');
const HEALTH_APP = join(REPO, 'test/package/fixtures/health-app.ts');
const TERMINUS = '@nestjs/terminus';
const OBSERVABILITY_APP = join(REPO, 'test/package/fixtures/observability-app.ts');
/** Every optional peer, each needed by one subpath only. */
const OPTIONAL_PEERS = [TERMINUS, 'prom-client', '@opentelemetry/api'];
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');
const PACKAGE = 'nestjs-distributed-cache';

interface RunResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and never throws: the exit code is in the result. */
function run(command: string, args: string[], cwd: string, timeout = 60_000): Promise<RunResult> {
  // A consumer starts from a clean environment: no preloads, no extra module paths.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (error.code ?? error.signal ?? 'failed') : 0;
        done({ code, stdout, stderr: error && !stderr ? error.message : stderr });
      },
    );
  });
}

async function mustRun(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited with ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

function tsc(cwd: string, ...args: string[]): Promise<RunResult> {
  return run(process.execPath, [TSC, '--pretty', 'false', ...args], cwd);
}

interface TsError {
  file: string;
  line: number;
  code: string;
  text: string;
}

/** `file(line,col): error TSxxxx: message` lines of tsc's output. */
function tsErrors(output: string): TsError[] {
  return [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map((m) => ({
    file: m[1].split(sep).join('/'),
    line: Number(m[2]),
    code: m[3],
    text: m[4],
  }));
}

/** Where Node's resolution, walking up from `fromDir`, finds package `name` (its real path). */
function findPackageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) {
      throw new Error(`${name} is not installed above ${fromDir}: run npm ci in ${REPO}`);
    }
  }
}

function versionOf(packageDir: string): string {
  return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string })
    .version;
}

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
}

/** The package a bare specifier names: `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Module specifiers in emitted JS or declarations, comments left out. */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [
    ...code.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/gm,
    ),
  ].map((m) => m[1]);
}

/** The user's app compiled as an ES module or CommonJS; everything else is the same. */
type Flavour = 'esm' | 'cjs';

const consumerTsconfig = (flavour: Flavour) => ({
  compilerOptions: {
    target: 'ES2022',
    module: flavour === 'esm' ? 'nodenext' : 'commonjs',
    ...(flavour === 'esm' ? { moduleResolution: 'nodenext' } : {}),
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    // As `nest new` generates it; the declarations are also checked without it below.
    skipLibCheck: true,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
});

/** What fixtures/users-app.ts prints when the package behaves as DESIGN.md says. */
const EXPECTED_RUN = {
  first: { id: 1, name: 'Ada' },
  second: { id: 1, name: 'Ada' },
  readsAfterTwoCalls: 1,
  cachedBeforeEvict: { id: 1, name: 'Ada' },
  cachedAfterEvict: false,
  third: { id: 1, name: 'Grace' },
  readsAfterEvict: 2,
  readsAfterTagInvalidation: 3,
  readsAfterPut: 4,
  client: {
    set: true,
    get: 'hello',
    getOrSet: 42,
    getMany: ['hello', null, 42],
    delete: true,
    hasAfterDelete: false,
  },
  store: 'memory',
};

/**
 * Wrong calls, each on a line marked `// wrong`: tsc must report an error on exactly those lines.
 * Imports only what DESIGN.md names.
 */
const WRONG_CALLS = `import { Injectable } from '@nestjs/common';
import { CacheModule, Cacheable, CacheEvict, CachePut, CacheClient } from 'nestjs-distributed-cache';

@Injectable()
export class WrongCalls {
  constructor(private readonly cache: CacheClient) {}

  @Cacheable({ key: (id: number) => 'user:' + id }) // wrong: key takes a number, the method a string
  findByName(id: string) { return id; }

  @CacheEvict({ key: (id: number) => 'user:' + id }) // wrong: same, on an eviction
  rename(id: string) { return id; }

  @CachePut({ key: (id: number) => 'user:' + id, tags: (id: number) => ['user:' + id] }) // wrong
  save(id: boolean) { return id; }

  @Cacheable({ key: 42 }) // wrong: a key is a string or a function
  numberKey(id: number) { return id; }

  @CacheEvict({ keys: 'user:1' }) // wrong: keys is a list
  keysNotAList(id: number) { return id; }

  @Cacheable({ key: (id: number) => 'user:' + id, condition: (id: number) => 'yes' }) // wrong
  conditionNotBoolean(id: number) { return id; }

  @Cacheable({ key: (id: number, name: string) => id + name }) // wrong: the method has one parameter
  fewerParameters(id: number) { return id; }

  @Cacheable({ unless: (name: string) => name === '' }) // wrong: the method returns numbers
  unlessOnOtherResult(id: number) { return Promise.resolve(id); }

  @Cacheable({ key: (id: number) => 'user:' + id, ttl: 300 })
  right(id: number, _name: string) { return id; }

  @Cacheable({ key: (id: number) => 'user:' + id, unless: (user: { id: number } | null) => !user })
  rightUnless(id: number) { return Promise.resolve(id ? { id } : null); }

  setWithBadTtl() {
    return this.cache.set('k', 'v', true); // wrong: a TTL is seconds or a duration string
  }

  getManyNotAList() {
    return this.cache.getMany('k'); // wrong: getMany takes a list of keys
  }
}

export const mongo = CacheModule.forRoot({ store: 'mongo' }); // wrong: no such store
export const ttlFlag = CacheModule.forRoot({ ttl: true }); // wrong: not a TTL
export const servers = CacheModule.forRoot({ memcached: { servers: 'localhost:11211' } }); // wrong
export const right = CacheModule.forRoot({ store: 'memory', ttl: '5m', keyPrefix: 'app:' });
`;

describe('the npm pack tarball', () => {
  let root: string;
  let tarball: string;
  let entries: string[];
  let manifest: Manifest;
  let stagedLib: string[];
  const consumers = {} as Record<Flavour | 'terminus' | 'observability', string>;

  /**
   * A project that installed the tarball: `fromDir` is where its other packages resolve from;
   * `optional`, the optional peers it installed too; `app`, its `src/main.ts`.
   */
  async function makeConsumer(
    flavour: Flavour,
    fromDir: string,
    { name = `${flavour}-consumer`, optional = [] as string[], app = USERS_APP } = {},
  ): Promise<string> {
    const dir = join(root, name);
    const modules = join(dir, 'node_modules');
    const installed = join(modules, PACKAGE);
    await mkdir(installed, { recursive: true });
    await mustRun('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], dir);

    const peers = Object.keys(manifest.peerDependencies ?? {}).filter(
      (name) => !manifest.peerDependenciesMeta?.[name]?.optional,
    );
    const needed = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...peers,
      ...optional,
      '@types/node',
    ];
    for (const name of new Set(needed)) {
      await mkdir(dirname(join(modules, name)), { recursive: true });
      await symlink(findPackageDir(name, fromDir), join(modules, name), 'dir');
    }

    const type = flavour === 'esm' ? 'module' : 'commonjs';
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name, version: '0.0.0', private: true, type }),
    );
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(consumerTsconfig(flavour), null, 2));
    await mkdir(join(dir, 'src'));
    await cp(app, join(dir, 'src/main.ts'));
    return dir;
  }

  beforeAll(async () => {
    root = realpathSync(await mkdtemp(join(tmpdir(), 'ndc-tarball-')));

    // `npm pack` runs on a copy of the working tree, so that its `prepack` build (rm -rf dist &&
    // tsc) never races another build or test run in the repository.
    const stage = join(root, 'stage');
    await cp(REPO, stage, {
      recursive: true,
      filter: (source) => {
        const parts = relative(REPO, source).split(sep);
        if (parts.some((part) => part === 'node_modules' || part === '.git')) return false;
        const top = parts.length === 1 ? parts[0] : '';
        return (
          !['dist', 'dist-sample', 'dist-check', 'coverage', '.tmp'].includes(top) &&
          !top.endsWith('.tgz')
        );
      },
    });
    await symlink(join(REPO, 'node_modules'), join(stage, 'node_modules'), 'dir');
    const packs = join(root, 'packs');
    await mkdir(packs);
    await mustRun('npm', ['pack', '--pack-destination', packs, '--no-fund', '--no-audit'], stage);
    const tarballs = (await readdir(packs)).filter((name) => name.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    tarball = join(packs, tarballs[0]);

    entries = (await mustRun('tar', ['-tzf', tarball], root))
      .split('\n')
      .filter((line) => line && !line.endsWith('/'))
      .map((line) => line.replace(/^package\//, ''));
    manifest = JSON.parse(await mustRun('tar', ['-xzOf', tarball, 'package/package.json'], root));
    stagedLib = (await readdir(join(stage, 'lib'), { recursive: true }))
      .map((file) => file.split(sep).join('/'))
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));

    consumers.esm = await makeConsumer('esm', REPO);
    consumers.cjs = await makeConsumer('cjs', NEST11_FIXTURE);
    consumers.terminus = await makeConsumer('esm', REPO, {
      name: 'terminus-consumer',
      optional: [TERMINUS],
      app: HEALTH_APP,
    });
    consumers.observability = await makeConsumer('esm', REPO, {
      name: 'observability-consumer',
      optional: ['prom-client', '@opentelemetry/api'],
      app: OBSERVABILITY_APP,
    });
  }, 120_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('holds the build, the manifest and the README, and no sources, tests or tooling', () => {
    expect(entries).toEqual(
      expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']),
    );
    if (existsSync(join(REPO, 'README.md'))) expect(entries).toContain('README.md');

    const unwanted = entries.filter(
      (entry) =>
        /^(lib|test|sample-app|bench|node_modules|dist-sample|dist-check|coverage|\.ci)\//.test(
          entry,
        ) ||
        (/\.[cm]?tsx?$/.test(entry) && !/\.d\.[cm]?ts$/.test(entry)) ||
        /^(tsconfig.*|vitest\.config\..*|eslint\.config\..*|\.prettierrc.*)$/.test(entry) ||
        entry.endsWith('.tgz'),
    );
    expect(unwanted).toEqual([]);

    // Every source module is built, with its declarations.
    const missing = stagedLib.flatMap((file) =>
      [file.replace(/\.ts$/, '.js'), file.replace(/\.ts$/, '.d.ts')]
        .map((built) => `dist/${built}`)
        .filter((built) => !entries.includes(built)),
    );
    expect(missing).toEqual([]);
  });

  it('imports, in dist, only its own files (with their .js extension) and declared packages', async () => {
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ]);
    const builtins = new Set(builtinModules);
    const installed = join(consumers.esm, 'node_modules', PACKAGE);
    const problems: string[] = [];
    for (const entry of entries.filter((e) => /^dist\/.*\.(js|d\.ts)$/.test(e))) {
      const declaration = entry.endsWith('.d.ts');
      for (const specifier of specifiers(await readFile(join(installed, entry), 'utf8'))) {
        if (specifier.startsWith('.')) {
          const target = posix.join(posix.dirname(entry), specifier);
          const expected = declaration ? target.replace(/\.js$/, '.d.ts') : target;
          if (!/\.js$/.test(specifier))
            problems.push(`${entry}: '${specifier}' has no .js extension`);
          else if (!entries.includes(expected))
            problems.push(`${entry}: '${specifier}' is not shipped`);
        } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
          const name = packageName(specifier);
          if (!declared.has(name)) problems.push(`${entry}: '${name}' is not a (peer) dependency`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('loads in an ES module app on NestJS 12, type-checked against the shipped declarations, and caches as well where Node forbids code from strings', async () => {
    const dir = consumers.esm;
    expect(versionOf(join(dir, 'node_modules/@nestjs/core'))).toMatch(/^12\./);

    const compiled = await tsc(dir, '-p', 'tsconfig.json');
    expect(tsErrors(compiled.stdout), compiled.stdout + compiled.stderr).toEqual([]);
    expect(compiled.code, compiled.stdout + compiled.stderr).toBe(0);

    const ran = await run(process.execPath, ['dist/main.js'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual(EXPECTED_RUN);
    // Hardened deployments run Node so: the memory store's hits must not depend on `new Function`.
    const hardened = ['--disallow-code-generation-from-strings', 'dist/main.js'];
    const ranHardened = await run(process.execPath, hardened, dir);
    expect(ranHardened.code, ranHardened.stderr).toBe(0);
    expect(JSON.parse(ranHardened.stdout)).toEqual(EXPECTED_RUN);
  }, 60_000);

  it('loads with require() in a CommonJS app on NestJS 11, and uses that NestJS', async () => {
    const dir = consumers.cjs;
    const installed = join(dir, 'node_modules', PACKAGE);
    const fromApp = createRequire(join(dir, 'package.json'));
    const fromPackage = createRequire(join(installed, 'package.json'));
    for (const nest of ['@nestjs/common', '@nestjs/core']) {
      const appSees = dirname(fromApp.resolve(`${nest}/package.json`));
      expect(dirname(fromPackage.resolve(`${nest}/package.json`)), nest).toBe(appSees);
      expect(versionOf(appSees), `${nest} of the CommonJS app: run npm ci`).toMatch(/^11\./);
    }

    const compiled = await tsc(dir, '-p', 'tsconfig.json');
    expect(tsErrors(compiled.stdout), compiled.stdout + compiled.stderr).toEqual([]);
    expect(compiled.code, compiled.stdout + compiled.stderr).toBe(0);
    // Nest 11's starter compiles CommonJS with `module: nodenext`: require() of ESM types as well.
    const nodenext = await tsc(dir, '-p', 'tsconfig.json', '--noEmit', '--module', 'nodenext');
    expect(tsErrors(nodenext.stdout), nodenext.stdout + nodenext.stderr).toEqual([]);

    const emitted = await readFile(join(dir, 'dist/main.js'), 'utf8');
    expect(emitted).toMatch(/require\("nestjs-distributed-cache"\)/);
    const ran = await run(process.execPath, ['dist/main.js'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual(EXPECTED_RUN);
  }, 60_000);

  it('declares @nestjs/terminus, prom-client and @opentelemetry/api optional peers, and the main entry loads without them', async () => {
    for (const peer of OPTIONAL_PEERS) {
      expect(manifest.peerDependencies?.[peer], peer).toBeDefined();
      expect(manifest.peerDependenciesMeta?.[peer]?.optional, peer).toBe(true);
    }
    for (const dir of [consumers.esm, consumers.cjs]) {
      const fromPackage = createRequire(join(dir, 'node_modules', PACKAGE, 'package.json'));
      for (const peer of OPTIONAL_PEERS) expect(() => fromPackage.resolve(peer), dir).toThrow();
      const loaded = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import('${PACKAGE}'); console.log(typeof m.CacheModule);`,
        ],
        dir,
      );
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.stdout.trim()).toBe('function');
    }
  });

  it('serves the terminus subpath, whose health check reports every node of the cache', async () => {
    const dir = consumers.terminus;
    const compiled = await tsc(dir, '-p', 'tsconfig.json');
    expect(tsErrors(compiled.stdout), compiled.stdout + compiled.stderr).toEqual([]);
    expect(compiled.code, compiled.stdout + compiled.stderr).toBe(0);
    expect(await readFile(join(dir, 'dist/main.js'), 'utf8')).toContain(`'${PACKAGE}/terminus'`);

    const ran = await run(process.execPath, ['dist/main.js'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    const report = JSON.parse(ran.stdout);
    expect(report.status).toBe('ok');
    expect(report.details.cache).toEqual({
      status: 'up',
      nodes: [{ address: 'memory', ok: true, latencyMs: expect.any(Number) }],
    });
  }, 60_000);

  it('serves the prometheus and opentelemetry subpaths, one line each', async () => {
    const dir = consumers.observability;
    const compiled = await tsc(dir, '-p', 'tsconfig.json');
    expect(tsErrors(compiled.stdout), compiled.stdout + compiled.stderr).toEqual([]);
    expect(compiled.code, compiled.stdout + compiled.stderr).toBe(0);
    const ran = await run(process.execPath, ['dist/main.js'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({ hit: true, miss: true });
  }, 60_000);

  it('makes wrong calls fail to compile, on the wrong line', async () => {
    const dir = consumers.esm;
    await mkdir(join(dir, 'wrong'));
    await writeFile(join(dir, 'wrong/wrong-calls.ts'), WRONG_CALLS);
    await writeFile(
      join(dir, 'wrong/tsconfig.json'),
      JSON.stringify({
        extends: '../tsconfig.json',
        compilerOptions: { noEmit: true, rootDir: '.', noUnusedLocals: false },
        include: ['wrong-calls.ts'],
      }),
    );
    const checked = await tsc(join(dir, 'wrong'), '-p', 'tsconfig.json');
    const output = checked.stdout + checked.stderr;

    const marked = WRONG_CALLS.split('\n').flatMap((line, i) =>
      line.includes('// wrong') ? [i + 1] : [],
    );
    const errors = tsErrors(checked.stdout);
    expect(
      errors.filter((e) => e.file !== 'wrong-calls.ts'),
      output,
    ).toEqual([]);
    const failing = [...new Set(errors.map((e) => e.line))].sort((a, b) => a - b);
    expect(failing, output).toEqual(marked);
  }, 60_000);

  it('ships declarations that type-check without skipLibCheck, with only its dependencies installed', async () => {
    // A strict app with skipLibCheck off compiles every .d.ts it reaches, the package's included:
    // any type they import must come from a package the tarball depends on.
    const checked = await tsc(
      consumers.esm,
      '-p',
      'tsconfig.json',
      '--noEmit',
      '--skipLibCheck',
      'false',
    );
    expect(
      tsErrors(checked.stdout).map((e) => `${e.file}(${e.line}): ${e.code} ${e.text}`),
    ).toEqual([]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  }, 60_000);
});
