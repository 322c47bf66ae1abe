/**
 * The docker-credential-helpers protocol: `docker-credential-<name> get|store|erase|list`, with
 * the server URL or a JSON credentials object on stdin and JSON (or an error text) on stdout.
 * A helper that says "credentials not found" means there are none, not a failure.
 */
import { spawn } from 'node:child_process';

export interface HelperCredentials {
  ServerURL: string;
  Username: string;
  Secret: string;
}

/** A username the helpers use for identity tokens (docker's tokenUsername). */
export const tokenUsername = '<token>';

export class CredentialHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialHelperError';
  }
}

export type HelperRunner = (program: string, action: string, input: string, env: NodeJS.ProcessEnv) => Promise<{ code: number; stdout: string }>;

/** Runs the program from PATH with the input on stdin. */
export const spawnHelper: HelperRunner = (program, action, input, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(program, [action], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(new CredentialHelperError(err.code === 'ENOENT' ? `exec: "${program}": executable file not found in $PATH` : `${program}: ${err.message}`)),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });

export class CredentialHelper {
  readonly program: string;

  constructor(
    name: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly run: HelperRunner = spawnHelper,
  ) {
    this.program = `docker-credential-${name}`;
  }

  private async call(action: string, input: string): Promise<string> {
    const r = await this.run(this.program, action, input, this.env);
    if (r.code !== 0) {
      const message = r.stdout.trim();
      throw new CredentialHelperError(message || `${this.program} ${action} exited with status ${r.code}`);
    }
    return r.stdout;
  }

  /** undefined when the helper has nothing for this server. */
  async get(serverURL: string): Promise<HelperCredentials | undefined> {
    let out: string;
    try {
      out = await this.call('get', serverURL);
    } catch (err) {
      if (err instanceof CredentialHelperError && /credentials not found/i.test(err.message)) return undefined;
      throw err;
    }
    let v: unknown;
    try {
      v = JSON.parse(out);
    } catch {
      throw new CredentialHelperError(`${this.program} get: invalid JSON output: ${out.trim().slice(0, 200)}`);
    }
    const c = v as Partial<HelperCredentials>;
    if (typeof c.Username !== 'string' || typeof c.Secret !== 'string') throw new CredentialHelperError(`${this.program} get: output lacks Username or Secret`);
    return { ServerURL: typeof c.ServerURL === 'string' ? c.ServerURL : serverURL, Username: c.Username, Secret: c.Secret };
  }

  async store(c: HelperCredentials): Promise<void> {
    await this.call('store', JSON.stringify(c));
  }

  async erase(serverURL: string): Promise<void> {
    await this.call('erase', serverURL);
  }

  async list(): Promise<Record<string, string>> {
    const out = await this.call('list', '');
    try {
      return JSON.parse(out) as Record<string, string>;
    } catch {
      throw new CredentialHelperError(`${this.program} list: invalid JSON output`);
    }
  }
}
