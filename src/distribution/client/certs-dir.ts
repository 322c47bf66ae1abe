/**
 * Per-registry TLS material from directories laid out as Docker's `certs.d`:
 * `<dir>/<host[:port]>/*.crt` are CA certificates added to the system's, `<name>.cert` with
 * `<name>.key` are client certificate pairs. A `.cert` without its `.key` (or the reverse) is refused
 * with Docker's message, since a half pair means the user misnamed a file.
 */
import { readdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { InvalidArgumentError, errnoCode } from '../../util/errors.js';

export interface HostTlsMaterial {
  /** PEM text of each extra CA file, in file-name order. */
  readonly ca: string[];
  /** Client certificate pairs (PEM). */
  readonly clientCerts: Array<{ cert: string; key: string }>;
  /** The files read, for logging. */
  readonly files: string[];
}

export const defaultCertsDirs: readonly string[] = ['/etc/docker/certs.d', '/etc/berth/certs.d'];

/** Reads `<dir>/<hostPort>/` of every dir; a missing directory contributes nothing. */
export async function loadHostTlsMaterial(certsDirs: readonly string[], hostPort: string): Promise<HostTlsMaterial> {
  const out: HostTlsMaterial = { ca: [], clientCerts: [], files: [] };
  if (hostPort.includes('/') || hostPort.includes('\0') || hostPort === '..' || hostPort === '.') return out;
  for (const dir of certsDirs) {
    const hostDir = join(dir, hostPort);
    let names: string[];
    try {
      names = (await readdir(hostDir)).sort();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') continue;
      throw new InvalidArgumentError(`cannot read certificates directory ${hostDir}: ${(err as Error).message}`, { cause: err });
    }
    for (const name of names) {
      const path = join(hostDir, name);
      if (name.endsWith('.crt')) {
        out.ca.push(await readFile(path, 'utf8'));
        out.files.push(path);
      } else if (name.endsWith('.cert')) {
        const keyName = name.slice(0, -'.cert'.length) + '.key';
        if (!names.includes(keyName)) {
          throw new InvalidArgumentError(`missing key ${keyName} for client certificate ${name}. CA certificates must use the extension .crt`);
        }
        out.clientCerts.push({ cert: await readFile(path, 'utf8'), key: await readFile(join(hostDir, keyName), 'utf8') });
        out.files.push(path, join(hostDir, keyName));
      } else if (name.endsWith('.key')) {
        const certName = name.slice(0, -'.key'.length) + '.cert';
        if (!names.includes(certName)) throw new InvalidArgumentError(`missing client certificate ${certName} for key ${name}`);
      }
    }
  }
  return out;
}

/** Where distributions keep the system CA bundle (the list Go's x509 package reads on Linux). */
const systemBundles = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

let systemCas: string[] | undefined;

/** The system's CA certificates (the first bundle found), else Node's bundled Mozilla roots. */
export function systemCaCertificates(): string[] {
  if (systemCas) return systemCas;
  for (const path of systemBundles) {
    try {
      systemCas = [readFileSync(path, 'utf8')];
      return systemCas;
    } catch {
      /* try the next */
    }
  }
  systemCas = [...rootCertificates];
  return systemCas;
}
