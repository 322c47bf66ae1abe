/**
 * `login [-u user] [-p pass | --password-stdin] [SERVER]` and `logout [SERVER]`, as docker's: the
 * daemon checks the credentials (POST /auth), the CLI stores them (config.json or a credential
 * helper). Without a server, Docker Hub (`https://index.docker.io/v1/`).
 */
import { ApiError } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import type { CliContext } from '../context.js';
import { CredentialStore, indexServer, logoutKeys } from '../config/credential-store.js';
import { convertToHostname, type AuthEntry } from '../config/docker-config.js';

const unencryptedWarning = (file: string) =>
  `WARNING! Your password will be stored unencrypted in ${file}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n`;

async function readAll(ctx: CliContext): Promise<string> {
  let s = '';
  for await (const c of ctx.stdin) s += c.toString();
  return s;
}

/** One line from stdin; with `hidden`, the terminal is put in raw mode so nothing is echoed. */
async function readLine(ctx: CliContext, hidden: boolean): Promise<string> {
  const raw = hidden && ctx.setRawTerminal;
  if (raw) ctx.setRawTerminal!(true);
  try {
    return await new Promise<string>((resolve) => {
      let buf = '';
      const stdin = ctx.stdin;
      const done = (): void => {
        stdin.off('data', onData);
        stdin.off('end', done);
        stdin.pause();
        resolve(buf);
      };
      const onData = (c: Buffer | string): void => {
        for (const ch of c.toString()) {
          if (ch === '\r' || ch === '\n') return done();
          if (ch === '\u0003') {
            // ^C in raw mode: give up as an interrupt would.
            buf = '';
            return done();
          }
          if (ch === '\u007f') buf = buf.slice(0, -1);
          else buf += ch;
        }
      };
      stdin.on('data', onData);
      stdin.on('end', done);
      stdin.resume();
    });
  } finally {
    if (raw) ctx.setRawTerminal!(false);
  }
}

/** docker's ConfigureAuth: flags first, else prompts on a terminal. */
async function configureAuth(ctx: CliContext, user: string, password: string, auth: AuthEntry, isDefault: boolean): Promise<void> {
  if (password === '' && !ctx.stdin.isTTY) throw new Error('Error: Cannot perform an interactive login from a non TTY device');
  let u = user.trim();
  if (u === '') {
    if (isDefault) {
      ctx.stdout.write(
        "Login with your Docker ID to push and pull images from Docker Hub. If you don't have a Docker ID, head over to https://hub.docker.com to create one.\n",
      );
    }
    ctx.stdout.write(auth.username ? `Username (${auth.username}): ` : 'Username: ');
    u = (await readLine(ctx, false)).trim() || (auth.username ?? '');
  }
  if (u === '') throw new Error('Error: Non-null Username Required');
  let p = password;
  if (p === '') {
    ctx.stdout.write('Password: ');
    p = await readLine(ctx, true);
    ctx.stdout.write('\n');
    if (p === '') throw new Error('Error: Password Required');
  }
  auth.username = u;
  auth.password = p;
}

export const loginCommand: CommandImpl = {
  flags: [
    { name: 'username', short: 'u', kind: 'string', usage: 'Username' },
    { name: 'password', short: 'p', kind: 'string', usage: 'Password' },
    { name: 'password-stdin', kind: 'bool', usage: 'Take the password from stdin' },
  ],
  args: { max: 1 },
  async run(ctx, f) {
    const user = f.string('username');
    let password = f.string('password');
    if (password !== '') {
      ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      if (f.bool('password-stdin')) throw new Error('--password and --password-stdin are mutually exclusive');
    }
    if (f.bool('password-stdin')) {
      if (user === '') throw new Error('Must provide --username with --password-stdin');
      password = (await readAll(ctx)).replace(/\n$/, '').replace(/\r$/, '');
    }
    const arg = f.args[0];
    const serverAddress = arg && arg !== 'docker.io' ? arg : indexServer;
    const isDefault = serverAddress === indexServer;
    const key = isDefault ? serverAddress : convertToHostname(serverAddress);
    const store = await CredentialStore.open(ctx.env);
    const client = await ctx.client();

    let auth: AuthEntry = { serveraddress: key };
    let response: { Status: string; IdentityToken?: string } | undefined;
    if (user === '' && password === '') {
      const stored = await store.get(key).catch(() => undefined);
      if (stored) auth = { ...stored, serveraddress: key };
      delete auth.identitytoken;
      if (auth.username && auth.password) {
        ctx.stdout.write('Authenticating with existing credentials...\n');
        try {
          response = await client.registryLogin(loginBody(auth));
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) ctx.stderr.write('Stored credentials invalid or expired\n');
          else ctx.stderr.write(`Login did not succeed, error: ${(err as Error).message}\n`);
        }
      }
    }
    if (!response) {
      await configureAuth(ctx, user, password, auth, isDefault);
      response = await client.registryLogin(loginBody(auth));
    }
    if (response.IdentityToken) {
      auth.password = '';
      auth.identitytoken = response.IdentityToken;
    }
    if (store.isFileStore(key) && auth.password) ctx.stderr.write(unencryptedWarning(store.config.filename));
    try {
      await store.store({ ...auth, serveraddress: key });
    } catch (err) {
      throw new Error(`Error saving credentials: ${(err as Error).message}`);
    }
    if (response.Status) ctx.stdout.write(`${response.Status}\n`);
  },
};

function loginBody(a: AuthEntry): Record<string, string> {
  const body: Record<string, string> = {};
  if (a.username) body.username = a.username;
  if (a.password) body.password = a.password;
  if (a.serveraddress) body.serveraddress = a.serveraddress;
  return body;
}

export const logoutCommand: CommandImpl = {
  flags: [],
  args: { max: 1 },
  async run(ctx, f) {
    const arg = f.args[0];
    const { shown, keys } = logoutKeys(arg ?? indexServer, arg === undefined);
    ctx.stdout.write(`Removing login credentials for ${shown}\n`);
    const store = await CredentialStore.open(ctx.env);
    const errors: Array<[string, string]> = [];
    for (const k of keys) {
      try {
        await store.erase(k);
      } catch (err) {
        errors.push([k, (err as Error).message]);
      }
    }
    if (errors.length === keys.length) {
      ctx.stderr.write('WARNING: could not erase credentials:\n');
      for (const [k, m] of errors) ctx.stderr.write(`${k}: ${m}\n`);
    }
  },
};
