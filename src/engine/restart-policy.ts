/**
 * Docker's restart policies and back-off. After an exit the container is restarted when the policy
 * asks for it; the delay starts at 100 ms and doubles with each restart, capped at one minute, and
 * falls back to 100 ms once a run lasted at least 10 seconds.
 */
import { InvalidArgumentError } from '../util/errors.js';
import type { RestartPolicy } from './docker-types.js';

export const initialBackoffMs = 100;
export const maxBackoffMs = 60_000;
export const resetAfterRunMs = 10_000;

export function validateRestartPolicy(p: RestartPolicy | undefined): RestartPolicy {
  const name = p?.Name ?? '';
  const max = p?.MaximumRetryCount ?? 0;
  switch (name) {
    case '':
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (max !== 0) throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
      return { Name: name, MaximumRetryCount: 0 };
    case 'on-failure':
      if (max < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
      return { Name: name, MaximumRetryCount: max };
    default:
      throw new InvalidArgumentError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
}

export interface ExitFacts {
  readonly exitCode: number;
  /** Stopped by `stop`/`kill` with the stop signal: never restarted. */
  readonly manuallyStopped: boolean;
  /** Restarts so far in this series. */
  readonly restartCount: number;
  readonly daemonShuttingDown?: boolean;
}

export function shouldRestart(policy: RestartPolicy | undefined, f: ExitFacts): boolean {
  if (f.manuallyStopped || f.daemonShuttingDown) return false;
  switch (policy?.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      if (f.exitCode === 0) return false;
      const max = policy.MaximumRetryCount ?? 0;
      return max === 0 || f.restartCount < max;
    }
    default:
      return false;
  }
}

/** The next delay given the previous one and how long the last run lasted. */
export function nextBackoff(previousMs: number, ranForMs: number): number {
  if (ranForMs >= resetAfterRunMs || previousMs <= 0) return initialBackoffMs;
  return Math.min(previousMs * 2, maxBackoffMs);
}
