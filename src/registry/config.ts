/**
 * The registry server's configuration: a YAML file shaped like the reference registry's
 * (`log`, `storage`, `http`, `auth`, `proxy`, with Berth's additions marked below), command-line flags,
 * and defaults. Flags win over the file, the file over the defaults. Everything is validated
 * here, once; the server gets a finished RegistryConfig.
 */
import { parse as parseYaml } from 'yaml';
import type { LogLevel } from '../util/log.js';
import { parseGoDuration } from '../util/time.js';
import type { AccessRule } from './auth/scope.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type AuthConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'htpasswd'; readonly realm: string; readonly path: string }
  | {
      readonly kind: 'token';
      /** The token endpoint URL put in challenges; default: this server's own `/token`, from the request's Host. */
      readonly realm?: string;
      readonly service: string;
      readonly issuer: string;
      /** PEM file of the EC P-256 signing key; default: one the server makes and keeps under the root. */
      readonly signingKey?: string;
      readonly htpasswd: string;
      readonly expirationSeconds: number;
      readonly access: readonly AccessRule[];
    };

/**
 * Pull-through cache mode: misses are fetched from `remoteUrl` and kept. `tagTtlMs` is how long a
 * tag fetched from upstream is served without asking upstream again (Berth's meaning of `ttl`;
 * the reference registry's v3 `ttl` expires cached content instead, which Berth leaves to GC).
 */
export interface ProxyConfig {
  /** `http(s)://host[:port]`, no path. */
  readonly remoteUrl: string;
  readonly username?: string;
  readonly password?: string;
  /** A file holding the password (read when the server starts; one trailing newline dropped). */
  readonly passwordFile?: string;
  readonly tagTtlMs: number;
}

export interface RegistryConfig {
  readonly addr: string;
  readonly root: string;
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly auth: AuthConfig;
  readonly readOnly: boolean;
  readonly deleteEnabled: boolean;
  readonly uploadExpiryMs: number;
  readonly uploadPurgeIntervalMs: number;
  /** 0: no periodic GC. */
  readonly gcIntervalMs: number;
  /** Blobs younger than this (written, mounted or asked about) are never collected. */
  readonly gcGraceMs: number;
  readonly logLevel: LogLevel;
  readonly accessLog: boolean;
  readonly proxy?: ProxyConfig;
}

/** The flat form both the file and the flags are read into before merging. */
export interface ConfigInput {
  addr?: string;
  root?: string;
  tlsCert?: string;
  tlsKey?: string;
  htpasswd?: string;
  htpasswdRealm?: string;
  tokenIssuer?: string;
  tokenService?: string;
  tokenRealm?: string;
  tokenKey?: string;
  tokenExpiration?: string;
  tokenAccess?: AccessRule[];
  readOnly?: boolean;
  deleteEnabled?: boolean;
  uploadExpiry?: string;
  uploadPurgeInterval?: string;
  uploadPurging?: boolean;
  gcInterval?: string;
  gcGrace?: string;
  logLevel?: string;
  accessLog?: boolean;
  proxyRemoteUrl?: string;
  proxyUsername?: string;
  proxyPassword?: string;
  proxyPasswordFile?: string;
  proxyTtl?: string;
}

export const configDefaults = {
  addr: '127.0.0.1:5000',
  root: '/var/lib/berth-registry',
  uploadExpiry: '168h',
  uploadPurgeInterval: '1h',
  gcInterval: '0',
  gcGrace: '1h',
  tokenService: 'berth-registry',
  tokenExpiration: '5m',
  htpasswdRealm: 'berth-registry',
  logLevel: 'info',
  proxyTtl: '5m',
} as const;

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${where} must be a mapping`);
  return v as Obj;
}

function only(o: Obj, where: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ConfigError(`${where}.${k} is not a known setting (known: ${keys.join(', ')})`);
}

function str(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw new ConfigError(`${where} must be a string`);
  return v;
}

function bool(v: unknown, where: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${where} must be true or false`);
  return v;
}

function set<K extends keyof ConfigInput>(out: ConfigInput, key: K, value: ConfigInput[K] | undefined): void {
  if (value !== undefined) out[key] = value;
}

/** Reads the YAML text of a config file into the flat form; unknown keys and wrong types are errors. */
export function configFromYaml(text: string, source = 'config'): ConfigInput {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Cannot read ${source}: ${(err as Error).message}`);
  }
  const root = obj(doc, source);
  only(root, source, ['version', 'log', 'storage', 'http', 'auth', 'proxy']);
  const out: ConfigInput = {};

  const log = obj(root.log, 'log');
  only(log, 'log', ['level', 'accesslog', 'formatter']);
  set(out, 'logLevel', str(log.level, 'log.level'));
  const accessLog = obj(log.accesslog, 'log.accesslog');
  only(accessLog, 'log.accesslog', ['disabled']);
  const disabled = bool(accessLog.disabled, 'log.accesslog.disabled');
  if (disabled !== undefined) out.accessLog = !disabled;

  const storage = obj(root.storage, 'storage');
  only(storage, 'storage', ['filesystem', 'delete', 'maintenance', 'gc', 'cache']);
  const fsys = obj(storage.filesystem, 'storage.filesystem');
  only(fsys, 'storage.filesystem', ['rootdirectory']);
  set(out, 'root', str(fsys.rootdirectory, 'storage.filesystem.rootdirectory'));
  const del = obj(storage.delete, 'storage.delete');
  only(del, 'storage.delete', ['enabled']);
  set(out, 'deleteEnabled', bool(del.enabled, 'storage.delete.enabled'));
  const maint = obj(storage.maintenance, 'storage.maintenance');
  only(maint, 'storage.maintenance', ['uploadpurging', 'readonly']);
  const purge = obj(maint.uploadpurging, 'storage.maintenance.uploadpurging');
  only(purge, 'storage.maintenance.uploadpurging', ['enabled', 'age', 'interval', 'dryrun']);
  set(out, 'uploadPurging', bool(purge.enabled, 'storage.maintenance.uploadpurging.enabled'));
  set(out, 'uploadExpiry', str(purge.age, 'storage.maintenance.uploadpurging.age'));
  set(out, 'uploadPurgeInterval', str(purge.interval, 'storage.maintenance.uploadpurging.interval'));
  const ro = obj(maint.readonly, 'storage.maintenance.readonly');
  only(ro, 'storage.maintenance.readonly', ['enabled']);
  set(out, 'readOnly', bool(ro.enabled, 'storage.maintenance.readonly.enabled'));
  // Berth: online garbage collection.
  const gc = obj(storage.gc, 'storage.gc');
  only(gc, 'storage.gc', ['interval', 'grace']);
  set(out, 'gcInterval', str(gc.interval, 'storage.gc.interval'));
  set(out, 'gcGrace', str(gc.grace, 'storage.gc.grace'));

  const http = obj(root.http, 'http');
  only(http, 'http', ['addr', 'tls', 'secret', 'headers', 'relativeurls']);
  set(out, 'addr', str(http.addr, 'http.addr'));
  const tls = obj(http.tls, 'http.tls');
  only(tls, 'http.tls', ['certificate', 'key']);
  set(out, 'tlsCert', str(tls.certificate, 'http.tls.certificate'));
  set(out, 'tlsKey', str(tls.key, 'http.tls.key'));

  const auth = obj(root.auth, 'auth');
  only(auth, 'auth', ['htpasswd', 'token']);
  const hp = obj(auth.htpasswd, 'auth.htpasswd');
  only(hp, 'auth.htpasswd', ['realm', 'path']);
  set(out, 'htpasswd', str(hp.path, 'auth.htpasswd.path'));
  set(out, 'htpasswdRealm', str(hp.realm, 'auth.htpasswd.realm'));
  if (auth.token !== undefined) {
    const tk = obj(auth.token, 'auth.token');
    if (tk.rootcertbundle !== undefined) {
      throw new ConfigError('auth.token.rootcertbundle: an external token server is not supported; Berth issues tokens itself (auth.token.issuer)');
    }
    // Berth: the built-in issuer's settings (signingkey, expiration, htpasswd, access).
    only(tk, 'auth.token', ['realm', 'service', 'issuer', 'signingkey', 'expiration', 'htpasswd', 'access']);
    set(out, 'tokenRealm', str(tk.realm, 'auth.token.realm'));
    set(out, 'tokenService', str(tk.service, 'auth.token.service'));
    set(out, 'tokenIssuer', str(tk.issuer, 'auth.token.issuer') ?? 'berth-registry');
    set(out, 'tokenKey', str(tk.signingkey, 'auth.token.signingkey'));
    set(out, 'tokenExpiration', str(tk.expiration, 'auth.token.expiration'));
    set(out, 'htpasswd', str(tk.htpasswd, 'auth.token.htpasswd'));
    if (tk.access !== undefined) {
      if (!Array.isArray(tk.access)) throw new ConfigError('auth.token.access must be a list of {account, name, actions}');
      out.tokenAccess = tk.access.map((r, i) => {
        const where = `auth.token.access[${i}]`;
        const rule = obj(r, where);
        only(rule, where, ['account', 'name', 'actions']);
        const account = str(rule.account, `${where}.account`);
        const name = str(rule.name, `${where}.name`) ?? '*';
        const actions = rule.actions;
        if (!account) throw new ConfigError(`${where}.account is required`);
        if (!Array.isArray(actions) || actions.some((a) => !['pull', 'push', 'delete', '*'].includes(a as string))) {
          throw new ConfigError(`${where}.actions must list pull, push, delete or *`);
        }
        return { account, name, actions: actions as string[] };
      });
    }
  }

  const proxy = obj(root.proxy, 'proxy');
  // Berth: `passwordfile`; `ttl` is the freshness of cached tags (see ProxyConfig).
  only(proxy, 'proxy', ['remoteurl', 'username', 'password', 'passwordfile', 'ttl']);
  set(out, 'proxyRemoteUrl', str(proxy.remoteurl, 'proxy.remoteurl'));
  set(out, 'proxyUsername', str(proxy.username, 'proxy.username'));
  set(out, 'proxyPassword', str(proxy.password, 'proxy.password'));
  set(out, 'proxyPasswordFile', str(proxy.passwordfile, 'proxy.passwordfile'));
  set(out, 'proxyTtl', str(proxy.ttl, 'proxy.ttl'));
  return out;
}

/** A Go duration (`90s`, `168h`, `0`) in milliseconds. */
export function durationMs(value: string, where: string): number {
  const ns = parseGoDuration(value.trim());
  if (ns === null || ns < 0n) throw new ConfigError(`${where}: ${JSON.stringify(value)} is not a duration (such as 30s, 15m, 168h)`);
  return Number(ns / 1_000_000n);
}

/** `http(s)://host[:port]` with nothing else; returns it without a trailing slash. */
function validRemoteUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`proxy remote URL ${JSON.stringify(raw)} is not a URL (such as https://registry.example:5000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`proxy remote URL ${JSON.stringify(raw)} must use http:// or https://`);
  if (url.username || url.password) throw new ConfigError('proxy remote URL must not carry credentials (use proxy.username and proxy.password)');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new ConfigError(`proxy remote URL ${JSON.stringify(raw)} must be only scheme, host and port (the registry API lives at /v2/)`);
  }
  return `${url.protocol}//${url.host}`;
}

function resolveProxy(c: ConfigInput): ProxyConfig | undefined {
  const given = c.proxyUsername !== undefined || c.proxyPassword !== undefined || c.proxyPasswordFile !== undefined;
  if (c.proxyRemoteUrl === undefined || c.proxyRemoteUrl === '') {
    if (given) throw new ConfigError('proxy credentials need a proxy remote URL (proxy.remoteurl / --proxy-remote-url)');
    return undefined;
  }
  if (c.proxyPassword !== undefined && c.proxyPasswordFile !== undefined) throw new ConfigError('give the proxy password or a password file, not both');
  const hasPassword = c.proxyPassword !== undefined || c.proxyPasswordFile !== undefined;
  if ((c.proxyUsername !== undefined) !== hasPassword) throw new ConfigError('the proxy username and password go together');
  if (c.readOnly) throw new ConfigError('a pull-through cache stores what it fetches; it cannot be read-only');
  return {
    remoteUrl: validRemoteUrl(c.proxyRemoteUrl),
    ...(c.proxyUsername !== undefined ? { username: c.proxyUsername } : {}),
    ...(c.proxyPassword !== undefined ? { password: c.proxyPassword } : {}),
    ...(c.proxyPasswordFile !== undefined ? { passwordFile: c.proxyPasswordFile } : {}),
    tagTtlMs: durationMs(c.proxyTtl!, 'proxy ttl'),
  };
}

function validAddr(addr: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]*):(\d{1,5})$/.exec(addr);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`addr ${JSON.stringify(addr)} must be HOST:PORT (such as 127.0.0.1:5000; port 0 picks a free one)`);
  return addr;
}

/** Merges defaults, file and flags (later wins) and checks the result. */
export function resolveConfig(file: ConfigInput, flags: ConfigInput): RegistryConfig {
  const c: ConfigInput = { ...configDefaults, ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) (c as Record<string, unknown>)[k] = v;
  const logLevel = c.logLevel!;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new ConfigError(`log level ${JSON.stringify(logLevel)} must be debug, info, warn or error`);
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) throw new ConfigError('TLS needs both a certificate and a key');
  let auth: AuthConfig = { kind: 'none' };
  if (c.tokenIssuer !== undefined) {
    if (c.htpasswd === undefined) throw new ConfigError('the token issuer needs an htpasswd file for its users');
    const expirationSeconds = Math.floor(durationMs(c.tokenExpiration!, 'token expiration') / 1000);
    if (expirationSeconds < 1) throw new ConfigError('token expiration must be at least 1s');
    auth = {
      kind: 'token',
      ...(c.tokenRealm !== undefined ? { realm: c.tokenRealm } : {}),
      service: c.tokenService!,
      issuer: c.tokenIssuer,
      ...(c.tokenKey !== undefined ? { signingKey: c.tokenKey } : {}),
      htpasswd: c.htpasswd,
      expirationSeconds,
      access: c.tokenAccess ?? [],
    };
  } else if (c.htpasswd !== undefined) {
    auth = { kind: 'htpasswd', realm: c.htpasswdRealm!, path: c.htpasswd };
  }
  const proxy = resolveProxy(c);
  const uploadExpiryMs = durationMs(c.uploadExpiry!, 'upload expiry');
  if (uploadExpiryMs < 1000) throw new ConfigError('upload expiry must be at least 1s');
  return {
    addr: validAddr(c.addr!),
    root: c.root!,
    ...(c.tlsCert !== undefined && c.tlsKey !== undefined ? { tls: { cert: c.tlsCert, key: c.tlsKey } } : {}),
    auth,
    readOnly: c.readOnly ?? false,
    deleteEnabled: c.deleteEnabled ?? false,
    uploadExpiryMs,
    uploadPurgeIntervalMs: c.uploadPurging === false ? 0 : durationMs(c.uploadPurgeInterval!, 'upload purge interval'),
    gcIntervalMs: durationMs(c.gcInterval!, 'gc interval'),
    gcGraceMs: durationMs(c.gcGrace!, 'gc grace'),
    logLevel: logLevel as LogLevel,
    accessLog: c.accessLog ?? true,
    ...(proxy ? { proxy } : {}),
  };
}
