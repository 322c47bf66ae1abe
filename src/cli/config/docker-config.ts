/**
 * The docker CLI's config file, `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), as
 * far as registry logins go: `auths` (base64 `user:password` in `auth`, or an `identitytoken`),
 * `credsStore` and `credHelpers`. Every other key is kept as it is when the file is rewritten;
 * writes are atomic and the file stays private (0600), as the docker CLI keeps it.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';

/** Credentials for one registry, in the shape docker's AuthConfig has. */
export interface AuthEntry {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
  serveraddress?: string;
}

export class ConfigFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigFileError';
  }
}

/** The directory: DOCKER_CONFIG, else ~/.docker (HOME from the environment first). */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return join(env.HOME || homedir(), '.docker');
}

/** `https://host:5000/v2/` → `host:5000` (docker's ConvertToHostname). */
export function convertToHostname(url: string): string {
  const stripped = url.replace(/^https?:\/\//, '');
  return stripped.split('/')[0]!;
}

export class DockerConfigFile {
  private constructor(
    readonly filename: string,
    private readonly raw: Record<string, unknown>,
  ) {}

  static async load(env: NodeJS.ProcessEnv): Promise<DockerConfigFile> {
    const filename = join(configDir(env), 'config.json');
    let text: string;
    try {
      text = await readFile(filename, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new DockerConfigFile(filename, {});
      throw new ConfigFileError(`loading config file: ${filename}: ${(err as Error).message}`, { cause: err });
    }
    if (text.trim() === '') return new DockerConfigFile(filename, {});
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigFileError(`loading config file: ${filename}: ${(err as Error).message}`, { cause: err });
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigFileError(`loading config file: ${filename}: not a JSON object`);
    return new DockerConfigFile(filename, raw as Record<string, unknown>);
  }

  get credsStore(): string {
    return typeof this.raw.credsStore === 'string' ? this.raw.credsStore : '';
  }

  /** The helper for one registry: credHelpers[host], else credsStore, else none (the file). */
  helperFor(serverAddress: string): string {
    const helpers = this.raw.credHelpers;
    if (helpers && typeof helpers === 'object' && serverAddress !== '') {
      const h = (helpers as Record<string, unknown>)[serverAddress];
      if (typeof h === 'string') return h;
    }
    return this.credsStore;
  }

  private auths(): Record<string, Record<string, unknown>> {
    const a = this.raw.auths;
    if (a && typeof a === 'object' && !Array.isArray(a)) return a as Record<string, Record<string, unknown>>;
    const fresh: Record<string, Record<string, unknown>> = {};
    this.raw.auths = fresh;
    return fresh;
  }

  /** The stored entry for a registry key, also matching keys written as URLs. */
  getAuth(serverAddress: string): AuthEntry | undefined {
    const auths = this.auths();
    let entry: Record<string, unknown> | undefined = auths[serverAddress];
    if (!entry) {
      const key = Object.keys(auths).find((k) => convertToHostname(k) === serverAddress);
      entry = key === undefined ? undefined : auths[key];
    }
    if (!entry || typeof entry !== 'object') return undefined;
    const out: AuthEntry = { serveraddress: serverAddress };
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new ConfigFileError(`Invalid auth configuration file ${this.filename}`);
      out.username = decoded.slice(0, colon);
      out.password = decoded.slice(colon + 1).replace(/\0+$/, '');
    }
    for (const k of ['identitytoken', 'registrytoken', 'email'] as const) {
      if (typeof entry[k] === 'string' && entry[k] !== '') out[k] = entry[k] as string;
    }
    return out;
  }

  /** Stores an entry the way docker writes it: `auth` = base64(user:password), no plain fields. */
  setAuth(serverAddress: string, a: AuthEntry): void {
    const entry: Record<string, string> = {};
    if (a.username || a.password) entry.auth = Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64');
    if (a.email) entry.email = a.email;
    if (a.identitytoken) entry.identitytoken = a.identitytoken;
    if (a.registrytoken) entry.registrytoken = a.registrytoken;
    this.auths()[serverAddress] = entry;
  }

  /** Removes the entry; true when there was one. */
  eraseAuth(serverAddress: string): boolean {
    const auths = this.auths();
    if (!(serverAddress in auths)) return false;
    delete auths[serverAddress];
    return true;
  }

  async save(): Promise<void> {
    await mkdir(join(this.filename, '..'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.filename, JSON.stringify(this.raw, null, '\t') + '\n', 0o600);
  }
}
