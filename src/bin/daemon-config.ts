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
  -l, --log-level string     Set the logging level ("debug"|"info"|"warn"|"error") (default "info")
  -p, --pidfile string       Path to use for daemon PID file (default "/run/berth/berthd.pid")
      --runc string          Path to runc (default "runc" from PATH)
  -v, --version              Print version information and quit
  -h, --help                 Print usage
`;

type Key = keyof Omit<DaemonConfig, 'hosts'> | 'hosts';

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
    if (key === 'hosts') fromFlags.hosts = [...(fromFlags.hosts ?? []), value];
    else (fromFlags as Record<string, unknown>)[key] = value;
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
  return { config, help, version };
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
    if (key === 'hosts') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError('hosts must be a list of strings');
      out.hosts = v as string[];
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
