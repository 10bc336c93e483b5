import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startProcess, type ServerProcess } from './servers.js';

const run = promisify(execFile);

/** Debian puts saslpasswd2 (package sasl2-bin) in /usr/sbin, which a user's PATH may lack. */
const SASLPASSWD2 = process.env.PATH?.split(':').includes('/usr/sbin')
  ? 'saslpasswd2'
  : '/usr/sbin/saslpasswd2';

/**
 * `count` `memcached -S` servers on free loopback ports sharing one SASL password database, made
 * with `saslpasswd2` in a temporary folder, holding `users` (name → password); PLAIN only.
 */
export async function startSaslMemcached(
  users: Record<string, string>,
  count = 1,
): Promise<{ servers: ServerProcess[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ndc-sasl-'));
  const database = join(dir, 'sasldb2');
  for (const [user, password] of Object.entries(users)) {
    const child = run(SASLPASSWD2, ['-a', 'memcached', '-c', '-p', '-f', database, user]);
    child.child.stdin?.end(password);
    await child;
  }
  writeFileSync(join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${database}\n`);
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      startProcess(
        'memcached',
        (p) => ['-p', String(p), '-l', '127.0.0.1', '-U', '0', '-m', '64', '-u', 'root', '-S'],
        undefined,
        { SASL_CONF_PATH: dir },
      ),
    ),
  );
  return {
    servers,
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
