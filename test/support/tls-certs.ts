import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files made for one test run, in a temporary folder. */
export interface TlsFiles {
  dir: string;
  /** The CA that signed the server and client certificates. */
  caCert: string;
  /** A second CA that signed nothing the server shows: trusting it alone must fail. */
  otherCaCert: string;
  /** For `localhost` and `127.0.0.1`, valid now. */
  serverCert: string;
  serverKey: string;
  /** For the same names and key, signed by the same CA, expired in 2020. */
  expiredServerCert: string;
  /** For mutual TLS: a client certificate signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** The contents of a PEM file, for `redis.tls`. */
  read(file: string): string;
  remove(): void;
}

const SERVER_NAMES = 'subjectAltName=DNS:localhost,IP:127.0.0.1';

/**
 * A CA, a server certificate, an expired one, a client certificate and an unrelated CA, made with
 * `openssl` in a fresh temporary folder (about a second).
 */
export async function makeTlsFiles(): Promise<TlsFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'ndc-tls-'));
  const at = (name: string) => join(dir, name);
  await selfSignedCa(at('ca'), 'ndc test CA');
  await selfSignedCa(at('other-ca'), 'ndc unrelated CA');
  await signedCert(dir, 'server', 'localhost', [SERVER_NAMES]);
  await signedCert(dir, 'client', 'ndc test client', []);
  await expiredCert(dir, 'server', 'expired-server');
  return {
    dir,
    caCert: at('ca.crt'),
    otherCaCert: at('other-ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    expiredServerCert: at('expired-server.crt'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    read: (file) => readFileSync(file, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function selfSignedCa(base: string, name: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.crt`,
    '-subj',
    `/CN=${name}`,
  ]);
}

/** `<name>.key` and `<name>.crt`, signed by the CA in `dir`, with `extensions`. */
async function signedCert(
  dir: string,
  name: string,
  commonName: string,
  extensions: string[],
): Promise<void> {
  const at = (file: string) => join(dir, file);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    at(`${name}.key`),
    '-out',
    at(`${name}.csr`),
    '-subj',
    `/CN=${commonName}`,
  ]);
  const extFile = at(`${name}.ext`);
  writeFileSync(extFile, extensions.join('\n') + '\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    at(`${name}.csr`),
    '-CA',
    at('ca.crt'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    extFile,
    '-out',
    at(`${name}.crt`),
  ]);
}

/**
 * A certificate for the request `<from>.csr`, valid only in January 2020: `openssl x509` cannot
 * backdate, `openssl ca` can (it needs a small database of its own).
 */
async function expiredCert(dir: string, from: string, name: string): Promise<void> {
  const at = (file: string) => join(dir, file);
  writeFileSync(at('index.txt'), '');
  writeFileSync(at('serial'), '1000\n');
  writeFileSync(
    at('ca.cnf'),
    [
      '[ca]',
      'default_ca = ndc',
      '[ndc]',
      `database = ${at('index.txt')}`,
      `new_certs_dir = ${dir}`,
      `serial = ${at('serial')}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'x509_extensions = names',
      '[any]',
      'commonName = supplied',
      '[names]',
      SERVER_NAMES,
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'ca',
    '-batch',
    '-notext',
    '-config',
    at('ca.cnf'),
    '-cert',
    at('ca.crt'),
    '-keyfile',
    at('ca.key'),
    '-in',
    at(`${from}.csr`),
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
    '-out',
    at(`${name}.crt`),
  ]);
}
