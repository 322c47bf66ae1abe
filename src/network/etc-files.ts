/**
 * The per-container /etc/hostname, /etc/hosts and /etc/resolv.conf that Docker bind-mounts into
 * every container, generated as Docker does for each network mode.
 */
import { readFile } from 'node:fs/promises';

export type NetworkMode = 'none' | 'host';

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

const localhostLines = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/**
 * Docker's hosts file for a private network namespace: the loopback names, then `extraHosts`
 * (`--add-host name:ip`), then the container's own address lines when it has any.
 */
export function hostsFile(options: { extraHosts?: readonly string[]; ownAddresses?: ReadonlyArray<{ ip: string; names: string[] }> }): string {
  const lines = [...localhostLines];
  for (const h of options.extraHosts ?? []) {
    const sep = h.indexOf(':');
    if (sep <= 0) continue;
    lines.push(`${h.slice(sep + 1)}\t${h.slice(0, sep)}`);
  }
  for (const a of options.ownAddresses ?? []) lines.push(`${a.ip}\t${a.names.join(' ')}`);
  return lines.join('\n') + '\n';
}

const fallbackNameservers = ['nameserver 8.8.8.8', 'nameserver 8.8.4.4'];

/**
 * Docker's resolv.conf for a container with its own network namespace: the host's file without
 * loopback nameservers (they would point at the container itself), falling back to public
 * resolvers when nothing is left; `dns`/`dnsSearch`/`dnsOptions` replace the host's entries.
 */
export function resolvConfFor(hostResolvConf: string, options: { dns?: readonly string[]; dnsSearch?: readonly string[]; dnsOptions?: readonly string[] } = {}): string {
  const lines = hostResolvConf.split('\n');
  const nameservers: string[] = [];
  const search: string[] = [];
  const opts: string[] = [];
  const other: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver') {
      const ip = rest[0] ?? '';
      if (/^127\./.test(ip) || ip === '::1') continue;
      nameservers.push(`nameserver ${ip}`);
    } else if (key === 'search' || key === 'domain') search.push(...rest);
    else if (key === 'options') opts.push(...rest);
    else other.push(line);
  }
  const out: string[] = [];
  const ns = options.dns?.length ? options.dns.map((d) => `nameserver ${d}`) : nameservers.length ? nameservers : fallbackNameservers;
  const s = options.dnsSearch?.length ? options.dnsSearch : search;
  const o = options.dnsOptions?.length ? options.dnsOptions : opts;
  if (s.length) out.push(`search ${s.join(' ')}`);
  out.push(...ns);
  if (o.length) out.push(`options ${o.join(' ')}`);
  out.push(...other);
  return out.join('\n') + '\n';
}

export async function readHostFile(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return fallback;
  }
}
