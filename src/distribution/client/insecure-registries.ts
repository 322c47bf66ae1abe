/**
 * Which registries may be reached over plain HTTP or with unverified TLS, as Docker's
 * `insecure-registries` decides it: entries are CIDRs (`10.0.0.0/8`) or `host[:port]` names;
 * 127.0.0.0/8 and ::1/128 are always in the list. A name matches when it equals an entry, or when
 * one of the addresses it resolves to lies in a CIDR (Docker resolves names for the CIDR check too).
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { InvalidArgumentError } from '../../util/errors.js';

/** Splits `host:port`, `[v6]:port`, `host` into the host (without brackets) and the port, if any. */
export function splitHostPort(hostPort: string): { host: string; port?: string } {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    if (end < 0) return { host: hostPort };
    const rest = hostPort.slice(end + 1);
    return rest.startsWith(':') ? { host: hostPort.slice(1, end), port: rest.slice(1) } : { host: hostPort.slice(1, end) };
  }
  const colon = hostPort.lastIndexOf(':');
  // A bare IPv6 address has several colons and no port.
  if (colon < 0 || hostPort.indexOf(':') !== colon) return { host: hostPort };
  return { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) };
}

function unmap(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

export type HostResolver = (host: string) => Promise<string[]>;

const defaultResolver: HostResolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

export class InsecureRegistries {
  private readonly cidrs = new BlockList();
  private readonly names = new Set<string>();

  /**
   * @param entries CIDRs or `host[:port]`; an `http://`/`https://` prefix is dropped as Docker
   *   does, any other scheme or path is refused.
   * @param includeLoopback add 127.0.0.0/8 and ::1/128 (Docker always does; tests of verified TLS
   *   on 127.0.0.1 turn it off).
   */
  constructor(entries: readonly string[] = [], includeLoopback = true, private readonly resolve: HostResolver = defaultResolver) {
    const all = includeLoopback ? [...entries, '127.0.0.0/8', '::1/128'] : [...entries];
    for (const raw of all) this.add(raw);
  }

  private add(raw: string): void {
    let entry = raw.trim();
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(entry);
    if (scheme) {
      if (!/^https?$/i.test(scheme[1]!)) throw new InvalidArgumentError(`insecure registry ${raw} should not contain '://'`);
      entry = entry.slice(scheme[0].length);
    }
    if (entry.endsWith('/')) entry = entry.slice(0, -1);
    const slash = entry.indexOf('/');
    if (slash >= 0) {
      const addr = entry.slice(0, slash);
      const prefix = Number(entry.slice(slash + 1));
      const family = isIP(addr);
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128) || !/^\d+$/.test(entry.slice(slash + 1))) {
        throw new InvalidArgumentError(`insecure registry ${raw} is not valid: invalid CIDR or path in the address`);
      }
      this.cidrs.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
      return;
    }
    if (entry === '' || !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(entry)) {
      throw new InvalidArgumentError(`insecure registry ${raw} is not valid`);
    }
    this.names.add(entry.toLowerCase());
  }

  /** True when `hostPort` (a registry host as in a reference: `host`, `host:port`, `[v6]:port`) is insecure. */
  async isInsecure(hostPort: string): Promise<boolean> {
    const key = hostPort.toLowerCase();
    if (this.names.has(key)) return true;
    const { host } = splitHostPort(key);
    if (this.names.has(host)) return true;
    let addresses: string[];
    if (isIP(host) !== 0) addresses = [host];
    else {
      try {
        addresses = await this.resolve(host);
      } catch {
        return false; // unresolvable names match no CIDR, as in Docker
      }
    }
    return addresses.some((a) => {
      const addr = unmap(a);
      const family = isIP(addr);
      return family !== 0 && this.cidrs.check(addr, family === 4 ? 'ipv4' : 'ipv6');
    });
  }
}
