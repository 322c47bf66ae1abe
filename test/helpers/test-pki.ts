/**
 * Certificates for tests, made with the openssl CLI in a temp directory: a CA, server
 * certificates it signs (for 127.0.0.1 and localhost), and a self-signed signing certificate for
 * token issuers (the registry's `rootcertbundle`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function pair(dir: string, name: string): CertPair {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

/** A CA certificate (RSA 2048, one day). */
export function makeCa(dir: string, name = 'ca', subject = '/CN=Berth Test CA'): CertPair {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return pair(dir, name);
}

/** A server certificate signed by `ca` for the given IPs and DNS names. */
export function makeServerCert(dir: string, ca: CertPair, name = 'server', sans: { ips?: string[]; dns?: string[] } = { ips: ['127.0.0.1'], dns: ['localhost'] }): CertPair {
  const alt = [...(sans.ips ?? []).map((i) => `IP:${i}`), ...(sans.dns ?? []).map((d) => `DNS:${d}`)].join(',');
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${alt}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${sans.dns?.[0] ?? sans.ips?.[0] ?? name}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', ext], dir);
  return pair(dir, name);
}

/** A self-signed certificate whose key signs tokens (RS256); the certificate goes in `x5c`. */
export function makeSigningCert(dir: string, name = 'token-signer'): CertPair & { derBase64: string } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', '/CN=Berth Test Token Issuer'], dir);
  const p = pair(dir, name);
  const derBase64 = p.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return { ...p, derBase64 };
}
