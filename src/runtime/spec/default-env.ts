/**
 * The environment of a container's first process, as Docker builds it: its own defaults first,
 * then the container's Config.Env (image env merged with the request) replacing or removing them.
 */

/** PATH when the image sets none. */
export const defaultPathEnv = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface DefaultEnvInput {
  /** Config.Env after merging image and request; `NAME` without `=` unsets NAME. */
  readonly env: readonly string[];
  readonly hostname: string;
  readonly tty: boolean;
  /** The user's home from passwd (resolveUser().home); added as HOME when env has none. */
  readonly home?: string;
}

function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/**
 * Replaces entries of `base` whose key appears in `overrides`, appends the others, and drops
 * keys an override names without `=`. Order is kept: replaced keys stay where they were.
 */
export function replaceOrAppendEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out: Array<string | null> = [...base];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(envKey(e!), i));
  for (const o of overrides) {
    const key = envKey(o);
    const at = index.get(key);
    if (!o.includes('=')) {
      if (at !== undefined) out[at] = null;
      continue;
    }
    if (at !== undefined) {
      out[at] = o;
    } else {
      index.set(key, out.length);
      out.push(o);
    }
  }
  return out.filter((e): e is string => e !== null);
}

/**
 * PATH (Docker's default), HOSTNAME and, with a TTY, TERM=xterm, overridden by `env`; then HOME
 * from passwd if still unset (runc would set the same value; writing it makes it visible in the
 * spec and in `exec`).
 */
export function defaultEnv(input: DefaultEnvInput): string[] {
  const base = [`PATH=${defaultPathEnv}`, `HOSTNAME=${input.hostname}`];
  if (input.tty) base.push('TERM=xterm');
  const env = replaceOrAppendEnv(base, input.env);
  if (input.home !== undefined && !env.some((e) => envKey(e) === 'HOME')) env.push(`HOME=${input.home}`);
  return env;
}
