/**
 * Where `login` keeps credentials and where `pull`/`push` find them, as the docker CLI decides:
 * a registry's credHelpers entry, else credsStore, else the config file's `auths`. Helpers hold
 * the secret; the file then only records that the registry has an entry.
 */
import { CredentialHelper, tokenUsername, type HelperRunner } from './credential-helper.js';
import { DockerConfigFile, convertToHostname, type AuthEntry } from './docker-config.js';

/** Docker Hub's key in config.json (docker's IndexServer). */
export const indexServer = 'https://index.docker.io/v1/';

/** The config.json key of a registry host: Docker Hub's URL for docker.io, else the host. */
export function authKeyForHost(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' ? indexServer : host;
}

export class CredentialStore {
  constructor(
    readonly config: DockerConfigFile,
    private readonly env: NodeJS.ProcessEnv,
    private readonly runner?: HelperRunner,
  ) {}

  static async open(env: NodeJS.ProcessEnv, runner?: HelperRunner): Promise<CredentialStore> {
    return new CredentialStore(await DockerConfigFile.load(env), env, runner);
  }

  private helper(serverAddress: string): CredentialHelper | undefined {
    const name = this.config.helperFor(serverAddress);
    return name ? new CredentialHelper(name, this.env, this.runner) : undefined;
  }

  /** Whether the secret goes to the file (login warns about that, as docker does). */
  isFileStore(serverAddress: string): boolean {
    return this.helper(serverAddress) === undefined;
  }

  /** Credentials for a registry key; an entry with only the server address when there are none. */
  async get(serverAddress: string): Promise<AuthEntry> {
    const fromFile = this.config.getAuth(serverAddress) ?? { serveraddress: serverAddress };
    const helper = this.helper(serverAddress);
    if (!helper) return fromFile;
    const c = await helper.get(serverAddress);
    const out: AuthEntry = { ...(fromFile.email ? { email: fromFile.email } : {}), serveraddress: serverAddress };
    if (!c) return out;
    if (c.Username === tokenUsername) out.identitytoken = c.Secret;
    else {
      out.username = c.Username;
      out.password = c.Secret;
    }
    return out;
  }

  async store(a: AuthEntry & { serveraddress: string }): Promise<void> {
    const helper = this.helper(a.serveraddress);
    if (helper) {
      await helper.store({
        ServerURL: a.serveraddress,
        Username: a.identitytoken ? tokenUsername : (a.username ?? ''),
        Secret: a.identitytoken ?? a.password ?? '',
      });
      // The file keeps an empty entry (and the e-mail), as docker's native store does.
      this.config.setAuth(a.serveraddress, a.email ? { email: a.email } : {});
    } else {
      this.config.setAuth(a.serveraddress, a);
    }
    await this.config.save();
  }

  /** Erases a registry's credentials from its store and the file; false when there were none. */
  async erase(serverAddress: string): Promise<boolean> {
    const helper = this.helper(serverAddress);
    if (helper) await helper.erase(serverAddress);
    const had = this.config.eraseAuth(serverAddress);
    if (had) await this.config.save();
    return had || helper !== undefined;
  }
}

/** Every key a logout of `server` tries, as docker's logout does for non-default registries. */
export function logoutKeys(server: string, isDefault: boolean): { shown: string; keys: string[] } {
  if (isDefault) return { shown: server, keys: [server] };
  const host = convertToHostname(server);
  return { shown: host, keys: [...new Set([server, host, `http://${host}`, `https://${host}`])] };
}

/**
 * The X-Registry-Auth value: the AuthConfig JSON in base64 with the URL alphabet and padding
 * (Go's base64.URLEncoding, which Docker's daemon decodes strictly), as the docker CLI sends it.
 */
export function encodeRegistryAuth(a: AuthEntry): string {
  const body: Record<string, string> = {};
  for (const k of ['username', 'password', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    if (a[k]) body[k] = a[k]!;
  }
  return Buffer.from(JSON.stringify(body)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
