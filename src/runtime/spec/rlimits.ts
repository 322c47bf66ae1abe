/**
 * Resource limits (Docker's `--ulimit` / HostConfig.Ulimits) for the container's first process.
 *
 * Docker containers usually get RLIMIT_NOFILE 1048576 (inherited from a daemon started with
 * LimitNOFILE=infinity). Without CAP_SYS_RESOURCE the runtime cannot raise a limit above the
 * daemon's own hard limit and fails the start, so the default is clamped to that limit, and a
 * user's nofile limit above it is refused up front (or clamped, on request) instead of failing
 * later inside runc.
 */
import { InvalidArgumentError } from '../../util/errors.js';
import { RLIM_INFINITY, type OciRlimit, type RlimitValue } from './oci-types.js';

/** The ulimit names Docker accepts (`as` is deliberately absent there too). */
export const ulimitNames: readonly string[] = [
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice',
  'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
];

/** Docker's default open-files limit for containers. */
export const defaultNofile = 1048576;

/** One ulimit as the API carries it; -1 means unlimited. */
export interface Ulimit {
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

export interface RlimitOptions {
  /** The daemon's own RLIMIT_NOFILE hard limit (`ulimit -Hn`). */
  readonly hostNofileHardLimit: number;
  readonly ulimits?: readonly Ulimit[];
  /**
   * What to do with a user's nofile limit above `hostNofileHardLimit`: 'error' (default; the
   * runtime would refuse it, as runc does for Docker when it cannot raise the limit) or 'clamp'.
   */
  readonly overHostLimit?: 'error' | 'clamp';
}

function checkInteger(u: Ulimit, value: number): void {
  if (!Number.isSafeInteger(value) || value < -1) {
    throw new InvalidArgumentError(`invalid ulimit ${u.name}: ${value} is not a valid limit`);
  }
}

/** Checks a ulimit the way Docker's parser does: known name, soft ≤ hard unless hard is unlimited. */
export function validateUlimit(u: Ulimit): void {
  if (!ulimitNames.includes(u.name)) throw new InvalidArgumentError(`invalid ulimit type: ${u.name}`);
  checkInteger(u, u.soft);
  checkInteger(u, u.hard);
  if (u.hard !== -1) {
    if (u.soft === -1) {
      throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${u.hard}`);
    }
    if (u.soft > u.hard) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`);
  }
}

/** `nofile=1024:2048` or `core=-1` (Docker's `--ulimit` text) → a validated Ulimit. */
export function parseUlimit(text: string): Ulimit {
  const eq = text.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError(`invalid ulimit argument: ${text}`);
  const name = text.slice(0, eq);
  if (!ulimitNames.includes(name)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
  const values = text.slice(eq + 1).split(':');
  if (values.length > 2) {
    throw new InvalidArgumentError(`too many limit value arguments - ${text.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  }
  const num = (v: string): number => {
    if (!/^[+-]?\d+$/.test(v)) throw new InvalidArgumentError(`invalid ulimit argument: ${text}: "${v}" is not a number`);
    return Number(v);
  };
  const soft = num(values[0]!);
  const hard = values.length === 2 ? num(values[1]!) : soft;
  const u = { name, soft, hard };
  validateUlimit(u);
  return u;
}

function rlimitValue(v: number): RlimitValue {
  return v === -1 ? RLIM_INFINITY : v;
}

/**
 * The process rlimits: RLIMIT_NOFILE defaults to min(1048576, host hard limit) for both soft
 * and hard; user ulimits replace the default of the same type (the last one given for a name
 * wins). Only nofile is checked against the host: that is the one hard limit Berth knows.
 */
export function resolveRlimits(o: RlimitOptions): OciRlimit[] {
  const host = o.hostNofileHardLimit;
  if (!Number.isSafeInteger(host) || host <= 0) throw new InvalidArgumentError(`invalid host nofile hard limit: ${host}`);
  const byName = new Map<string, OciRlimit>();
  const nofile = Math.min(defaultNofile, host);
  byName.set('nofile', { type: 'RLIMIT_NOFILE', soft: nofile, hard: nofile });
  for (const u of o.ulimits ?? []) {
    validateUlimit(u);
    let { soft, hard } = u;
    if (u.name === 'nofile') {
      const hardOver = hard === -1 || hard > host;
      if (hardOver && o.overHostLimit !== 'clamp') {
        const shown = hard === -1 ? 'unlimited' : String(hard);
        throw new InvalidArgumentError(
          `ulimit nofile=${u.soft}:${u.hard}: hard limit ${shown} is above the daemon's own hard limit of ${host}, which a container cannot exceed here`,
        );
      }
      if (hardOver) hard = host;
      if (soft === -1 || soft > hard) soft = hard;
    }
    byName.set(u.name, { type: `RLIMIT_${u.name.toUpperCase()}`, soft: rlimitValue(soft), hard: rlimitValue(hard) });
  }
  return [...byName.values()];
}
