/**
 * htpasswd files with bcrypt entries (`htpasswd -B`), the reference registry's basic-auth store.
 * bcrypt is slow by design (tens of milliseconds per check in JavaScript), so a successful check
 * is remembered for a while under a hash of the credentials; failures are never cached.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

export class HtpasswdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HtpasswdError';
  }
}

/** Parses the file's text: `user:hash` lines, `#` comments and blank lines. Non-bcrypt hashes are refused. */
export function parseHtpasswd(text: string, source = 'htpasswd'): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HtpasswdError(`Cannot read ${source} line ${i + 1}: expected user:hash`);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
      throw new HtpasswdError(`Cannot read ${source} line ${i + 1}: user ${JSON.stringify(user)} has no bcrypt hash (make it with htpasswd -B)`);
    }
    users.set(user, hash);
  });
  return users;
}

export class Htpasswd {
  private readonly verified = new Map<string, number>();

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly cacheMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.users.size;
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(user).update('\0').update(password).update('\0').update(hash).digest('hex');
    const at = this.verified.get(key);
    if (at !== undefined && this.now() - at < this.cacheMs) return true;
    const ok = await bcrypt.compare(password, hash);
    if (ok) {
      if (this.verified.size > 10_000) this.verified.clear();
      this.verified.set(key, this.now());
    }
    return ok;
  }
}
