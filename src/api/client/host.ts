/** Where the daemon listens: `unix:///path` or `tcp://host:port`, chosen as Docker's CLI does. */

export const defaultHost = 'unix:///run/berth/berth.sock';

export type DaemonAddress =
  | { readonly kind: 'unix'; readonly socketPath: string; readonly url: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly url: string };

/** Thrown for a malformed host; the message follows Docker's wording. */
export class InvalidHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidHostError';
  }
}

/** Parses `unix:///run/x.sock`, `/run/x.sock`, `tcp://1.2.3.4:2375`, `tcp://[::1]:2375`, `http://…`. */
export function parseHost(spec: string): DaemonAddress {
  const s = spec.trim();
  if (s.startsWith('/')) return { kind: 'unix', socketPath: s, url: `unix://${s}` };
  const m = /^([a-z]+):\/\/(.*)$/.exec(s);
  if (!m) throw new InvalidHostError(`unable to parse docker host \`${spec}\``);
  const [, proto, rest] = m as unknown as [string, string, string];
  if (proto === 'unix') {
    if (!rest) throw new InvalidHostError(`unable to parse docker host \`${spec}\``);
    return { kind: 'unix', socketPath: rest, url: `unix://${rest}` };
  }
  if (proto === 'tcp' || proto === 'http') {
    const hp = rest.replace(/\/+$/, '');
    const hm = /^(\[[^\]]+\]|[^:/]*)(?::(\d+))?$/.exec(hp);
    if (!hm) throw new InvalidHostError(`unable to parse docker host \`${spec}\``);
    const host = (hm[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
    const port = hm[2] ? Number(hm[2]) : 2375;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidHostError(`invalid port in docker host \`${spec}\``);
    return { kind: 'tcp', host, port, url: `tcp://${hm[1] || '127.0.0.1'}:${port}` };
  }
  if (proto === 'https') throw new InvalidHostError(`TLS is not supported yet: \`${spec}\``);
  throw new InvalidHostError(`protocol not available: ${proto}`);
}

/** `-H/--host`, else BERTH_HOST, else DOCKER_HOST, else the default socket. */
export function resolveHost(flag: readonly string[] | string | undefined, env: NodeJS.ProcessEnv = process.env): DaemonAddress {
  const hosts = typeof flag === 'string' ? [flag] : flag ?? [];
  if (hosts.length > 1) throw new InvalidHostError('Specify only one -H');
  const spec = hosts[0] || env.BERTH_HOST || env.DOCKER_HOST || defaultHost;
  return parseHost(spec);
}
