/**
 * berthd's configuration: flags, then a JSON config file (Docker's daemon.json keys), then
 * defaults. Read once at start-up, validated, and passed down; nothing below reads the env.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../util/errors.js';
import type { LogLevel } from '../util/log.js';

export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  pidfile: string;
  logLevel: LogLevel;
  debug: boolean;
  /** Group that may use the socket (Docker's --group); empty: root only. */
  group: string;
  runcPath: string;
  conmonPath: string;
  initPath: string;
  configFile: string;
  /** Registries reached over plain HTTP or unverified TLS (hosts, host:port or CIDRs); loopback always is. */
  insecureRegistries: string[];
  /** Mirrors tried before docker.io, in order. */
  registryMirrors: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
}

export const defaults: DaemonConfig = {
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  hosts: ['unix:///run/berth/berth.sock'],
  pidfile: '/run/berth/berthd.pid',
  logLevel: 'info',
  debug: false,
  group: '',
  runcPath: 'runc',
  conmonPath: 'conmon',
  initPath: '/usr/bin/tini-static',
  configFile: '/etc/berth/daemon.json',
  insecureRegistries: [],
  registryMirrors: [],
  maxConcurrentDownloads: 3,
  maxConcurrentUploads: 5,
};

export const usage = `Usage:  berthd [OPTIONS]

A container engine that serves the Docker Engine API

Options:
      --config-file string   Daemon configuration file; '' for none (default "/etc/berth/daemon.json")
      --conmon string        Path to conmon (default "conmon" from PATH)
      --data-root string     Root directory of persistent Berth state (default "/var/lib/berth")
  -D, --debug                Enable debug mode
      --exec-root string     Root directory for execution state files (default "/run/berth")
  -G, --group string         Group for the unix socket (default: root only)
  -H, --host list            Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)
      --init-path string     Path to the static init used by --init (default "/usr/bin/tini-static")
      --insecure-registry list
                             Enable insecure registry communication (host[:port] or CIDR; 127.0.0.0/8 always)
  -l, --log-level string     Set the logging level ("debug"|"info"|"warn"|"error") (default "info")
      --max-concurrent-downloads int
                             Set the max concurrent downloads for each pull (default 3)
      --max-concurrent-uploads int
                             Set the max concurrent uploads for each push (default 5)
  -p, --pidfile string       Path to use for daemon PID file (default "/run/berth/berthd.pid")
      --registry-mirror list Preferred registry mirror for docker.io (repeatable)
      --runc string          Path to runc (default "runc" from PATH)
  -v, --version              Print version information and quit
  -h, --help                 Print usage
`;

type Key = keyof DaemonConfig;

/** Keys that collect a list (flag repeated, or a JSON array in the file). */
const listKeys = new Set<Key>(['hosts', 'insecureRegistries', 'registryMirrors']);
/** Keys holding a positive integer. */
const intKeys = new Set<Key>(['maxConcurrentDownloads', 'maxConcurrentUploads']);

const flagKeys: Record<string, Key> = {
  '--data-root': 'dataRoot',
  '--exec-root': 'execRoot',
  '-H': 'hosts',
  '--host': 'hosts',
  '-p': 'pidfile',
  '--pidfile': 'pidfile',
  '-l': 'logLevel',
  '--log-level': 'logLevel',
  '-G': 'group',
  '--group': 'group',
  '--runc': 'runcPath',
  '--conmon': 'conmonPath',
  '--init-path': 'initPath',
  '--config-file': 'configFile',
  '--insecure-registry': 'insecureRegistries',
  '--registry-mirror': 'registryMirrors',
  '--max-concurrent-downloads': 'maxConcurrentDownloads',
  '--max-concurrent-uploads': 'maxConcurrentUploads',
};

const fileKeys: Record<string, Key> = {
  'data-root': 'dataRoot',
  'exec-root': 'execRoot',
  hosts: 'hosts',
  pidfile: 'pidfile',
  'log-level': 'logLevel',
  debug: 'debug',
  group: 'group',
  runc: 'runcPath',
  conmon: 'conmonPath',
  'init-path': 'initPath',
  'insecure-registries': 'insecureRegistries',
  'registry-mirrors': 'registryMirrors',
  'max-concurrent-downloads': 'maxConcurrentDownloads',
  'max-concurrent-uploads': 'maxConcurrentUploads',
};

export type ParsedArgs = { config: DaemonConfig; help: boolean; version: boolean };

export function parseDaemonArgs(argv: readonly string[], readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): ParsedArgs {
  const fromFlags: Partial<DaemonConfig> = {};
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '-v' || arg === '--version') {
      version = true;
      continue;
    }
    if (arg === '-D' || arg === '--debug') {
      fromFlags.debug = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const key = flagKeys[name];
    if (!key) throw new InvalidArgumentError(`unknown flag: ${name}`);
    let value: string;
    if (arg.startsWith('--') && eq > 0) value = arg.slice(eq + 1);
    else {
      const next = argv[++i];
      if (next === undefined) throw new InvalidArgumentError(`flag needs an argument: ${name}`);
      value = next;
    }
    const f = fromFlags as Record<string, unknown>;
    if (listKeys.has(key)) f[key] = [...((f[key] as string[] | undefined) ?? []), value];
    else if (intKeys.has(key)) f[key] = positiveInt(name, value);
    else f[key] = value;
  }
  const configFile = fromFlags.configFile ?? defaults.configFile;
  const fromFile = readConfigFile(configFile, readFile, fromFlags.configFile !== undefined);
  for (const k of Object.keys(fromFlags) as Key[]) {
    if (k in fromFile && k !== 'configFile') {
      throw new InvalidArgumentError(
        `the following directives are specified both as a flag and in the configuration file: ${k}: (from flag: ${String(fromFlags[k])}, from file: ${String(fromFile[k])})`,
      );
    }
  }
  const config: DaemonConfig = { ...defaults, ...fromFile, ...fromFlags, configFile };
  if (fromFlags.debug || fromFile.debug) config.logLevel = 'debug';
  if (!['debug', 'info', 'warn', 'error'].includes(config.logLevel)) {
    throw new InvalidArgumentError(`unable to parse logging level: ${config.logLevel}`);
  }
  if (!config.dataRoot.startsWith('/') || !config.execRoot.startsWith('/')) {
    throw new InvalidArgumentError('--data-root and --exec-root must be absolute paths');
  }
  for (const h of config.hosts) parseHost(h);
  for (const r of config.insecureRegistries) validateRegistryHost(r, 'insecure registry');
  for (const m of config.registryMirrors) validateMirror(m);
  return { config, help, version };
}

function positiveInt(name: string, v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`invalid value for ${name}: ${JSON.stringify(v)} (a positive integer)`);
  return n;
}

/** host, host:port or a CIDR, as Docker's --insecure-registry takes (a scheme is refused as Docker does). */
function validateRegistryHost(v: string, what: string): void {
  if (v.includes('://')) throw new InvalidArgumentError(`${what} ${v} should not contain '://'`);
  if (!/^[A-Za-z0-9.\-:[\]]+(\/\d{1,3})?$/.test(v)) throw new InvalidArgumentError(`${what} ${v} is not a valid host[:port] or CIDR`);
}

/** Mirrors are URLs with http or https and no path, as Docker's ValidateMirror wants. */
function validateMirror(v: string): void {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError(`invalid mirror: ${JSON.stringify(v)} is not a valid URI`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`invalid mirror: unsupported scheme ${JSON.stringify(u.protocol.replace(':', ''))} in ${JSON.stringify(v)}`);
  if ((u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) throw new InvalidArgumentError(`invalid mirror: path, query, or fragment at end of the URI ${JSON.stringify(v)}`);
}

function readConfigFile(path: string, readFile: (p: string) => string, explicit: boolean): Partial<DaemonConfig> {
  if (path === '') return {}; // `--config-file ''`: no file at all
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InvalidArgumentError(`unable to read configuration file ${path}: ${(err as Error).message}`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`unable to parse configuration file ${path}: ${(err as Error).message}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidArgumentError(`configuration file ${path} must hold a JSON object`);
  const out: Partial<DaemonConfig> = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = fileKeys[k];
    if (!key) throw new InvalidArgumentError(`the following directives don't match any configuration option: ${k}`);
    if (listKeys.has(key)) {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`${k} must be a list of strings`);
      (out as Record<string, unknown>)[key] = v as string[];
    } else if (intKeys.has(key)) {
      (out as Record<string, unknown>)[key] = positiveInt(k, typeof v === 'number' ? String(v) : v);
    } else if (key === 'debug') {
      if (typeof v !== 'boolean') throw new InvalidArgumentError('debug must be a boolean');
      out.debug = v;
    } else {
      if (typeof v !== 'string') throw new InvalidArgumentError(`${k} must be a string`);
      (out as Record<string, unknown>)[key] = v;
    }
  }
  return out;
}

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseHost(h: string): ListenAddress {
  if (h.startsWith('unix://')) {
    const path = h.slice('unix://'.length);
    if (!path.startsWith('/')) throw new InvalidArgumentError(`invalid unix socket path: ${h}`);
    return { kind: 'unix', path };
  }
  if (h.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(h);
    if (!m) throw new InvalidArgumentError(`invalid tcp address: ${h}`);
    return { kind: 'tcp', host: (m[1] || '127.0.0.1').replace(/^\[|\]$/g, ''), port: Number(m[2] ?? 2375) };
  }
  if (h.startsWith('/')) return { kind: 'unix', path: h };
  throw new InvalidArgumentError(`invalid daemon address ${h}: use unix:///path or tcp://host:port`);
}
