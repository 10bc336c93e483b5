import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real server process on a free loopback port, which a test may kill, pause and restart. */
export interface ServerProcess {
  readonly host: string;
  readonly port: number;
  /** `host:port` */
  readonly address: string;
  readonly pid: number | undefined;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
  /** SIGSTOP, resolved once every thread has stopped: the socket stays open, nothing answers. */
  pause(): Promise<void>;
  /** SIGCONT */
  resume(): void;
  /** Start again on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Stop for good and remove its files. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** A free loopback port, never the well-known 6379/11211. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, HOST, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== 6379 && port !== 11211 && port < 55000) return port;
  }
}

export function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: HOST, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${HOST}:${port}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** SIGSTOP reaches each thread of a process a moment later; a request sent before may be served. */
async function waitUntilStopped(pid: number | undefined): Promise<void> {
  const tasks = `/proc/${pid}/task`;
  const stopped = () =>
    readdirSync(tasks).every((task) =>
      /\) [tT] /.test(readFileSync(`${tasks}/${task}/stat`, 'utf8')),
    );
  while (!stopped()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function notInstalled(command: string): Error {
  return new Error(
    `${command} is not on PATH: the tests and benchmarks start real servers. ` +
      'Run `bash scripts/ensure-servers.sh` (installs redis-server, redis-tools and memcached).',
  );
}

/** Spawns `command` for a port and resolves once that port accepts connections. */
export async function startProcess(
  command: string,
  argsFor: (port: number) => string[],
  fixedPort?: number,
  env?: NodeJS.ProcessEnv,
): Promise<ServerProcess> {
  const port = fixedPort ?? (await freePort());
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(command, argsFor(port), {
      stdio: 'ignore',
      env: env && { ...process.env, ...env },
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`${command} on port ${port} exited (${code})`)),
      );
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? notInstalled(command) : error),
      );
    });
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port), exited]);
  };
  await launch();
  let stopped = false;
  return {
    host: HOST,
    port,
    address: `${HOST}:${port}`,
    get pid() {
      return child.pid;
    },
    async kill() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await waitForExit(child);
    },
    async pause() {
      child.kill('SIGSTOP');
      await waitUntilStopped(child.pid);
    },
    resume: () => void child.kill('SIGCONT'),
    async restart() {
      await waitForExit(child);
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await waitForExit(child);
    },
  };
}

export interface RedisServer extends ServerProcess {
  readonly url: string;
}

/** A `redis-server` on a free loopback port, or on `port` when given. */
export async function startRedis(extraArgs: string[] = [], port?: number): Promise<RedisServer> {
  return startRedisOn((p) => ['--port', String(p)], extraArgs, port);
}

/** TLS settings of a `redis-server` (redis.conf's `tls-*` directives), as file paths. */
export interface RedisTlsSettings {
  cert: string;
  key: string;
  ca: string;
  /** `tls-auth-clients`: whether a client must show a certificate signed by `ca`. */
  authClients: boolean;
}

/**
 * A `redis-server` that speaks TLS only (`port 0`), on a free loopback port or on `port` when given
 * (`url` is `rediss://`).
 */
export async function startTlsRedis(
  tls: RedisTlsSettings,
  extraArgs: string[] = [],
  port?: number,
): Promise<RedisServer> {
  const server = await startRedisOn(
    (p) => ['--port', '0', '--tls-port', String(p)],
    [...tlsServerArgs(tls).flatMap(([name, value]) => [`--${name}`, value]), ...extraArgs],
    port,
  );
  return Object.assign(server, { url: `rediss://${HOST}:${server.port}` });
}

/** The `tls-*` directives of `tls` as `[name, value]` pairs, for a command line or a config file. */
export function tlsServerArgs(tls: RedisTlsSettings): [string, string][] {
  return [
    ['tls-cert-file', tls.cert],
    ['tls-key-file', tls.key],
    ['tls-ca-cert-file', tls.ca],
    ['tls-auth-clients', tls.authClients ? 'yes' : 'no'],
  ];
}

async function startRedisOn(
  listen: (port: number) => string[],
  extraArgs: string[],
  port?: number,
): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ndc-redis-'));
  const server = await startProcess(
    'redis-server',
    (p) => [
      ...listen(p),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'no',
      ...extraArgs,
    ],
    port,
  );
  const stop = server.stop;
  return Object.assign(server, {
    url: `redis://${HOST}:${server.port}`,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** A `memcached` on a free loopback port, or on `port` when given. */
export function startMemcached(extraArgs: string[] = [], port?: number): Promise<ServerProcess> {
  return startProcess(
    'memcached',
    (p) => ['-p', String(p), '-l', HOST, '-U', '0', '-m', '64', '-u', 'root', ...extraArgs],
    port,
  );
}
