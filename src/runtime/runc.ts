/**
 * A thin wrapper over the runc command line. It owns no state: every call names the container and
 * runc's state directory (`--root`), which conmon is given too, so both see the same containers.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from './command-runner.js';
import { FailedPreconditionError, InternalError, NotFoundError } from '../util/errors.js';

export interface RuncState {
  readonly id: string;
  readonly pid: number;
  readonly status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  readonly bundle: string;
}

/** runc prints `time="…" level=error msg="…"`; keep only the message. */
export function runcErrorMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const msgs = lines.map((l) => {
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(l);
    if (m) return m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    try {
      const j = JSON.parse(l) as { msg?: string };
      if (j.msg) return j.msg;
    } catch {
      /* plain text */
    }
    return l;
  });
  return msgs.join('; ') || 'runc failed';
}

export class Runc {
  constructor(
    readonly binary: string,
    readonly root: string,
    private readonly runner: CommandRunner,
  ) {}

  /** Arguments that go before every runc subcommand (also handed to conmon as runtime args). */
  get globalArgs(): string[] {
    return ['--root', this.root];
  }

  private async call(args: string[], what: string): Promise<string> {
    const r = await this.runner.run(this.binary, [...this.globalArgs, ...args]);
    if (r.code !== 0) {
      const msg = runcErrorMessage(r.stderr);
      if (/does not exist|not exist/.test(msg)) throw new NotFoundError(`${what}: ${msg}`);
      if (/not running|paused|container not running|is not paused|stopped/.test(msg)) throw new FailedPreconditionError(`${what}: ${msg}`);
      throw new InternalError(`${what}: ${msg}`);
    }
    return r.stdout;
  }

  async state(id: string): Promise<RuncState | null> {
    const r = await this.runner.run(this.binary, [...this.globalArgs, 'state', id]);
    if (r.code !== 0) return null;
    const s = JSON.parse(r.stdout) as { id: string; pid: number; status: RuncState['status']; bundle: string };
    return { id: s.id, pid: s.pid, status: s.status, bundle: s.bundle };
  }

  async start(id: string): Promise<void> {
    await this.call(['start', id], 'runc start');
  }

  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.call(['kill', ...(all ? ['--all'] : []), id, String(signal)], 'runc kill');
  }

  async pause(id: string): Promise<void> {
    await this.call(['pause', id], 'runc pause');
  }

  async resume(id: string): Promise<void> {
    await this.call(['resume', id], 'runc resume');
  }

  /** Deletes the container's runtime state and cgroup; `force` kills it first. Idempotent. */
  async delete(id: string, force = false): Promise<void> {
    // runc keeps a container's state in <root>/<id>; without it there is nothing to delete, and
    // not spawning runc saves several milliseconds on every start and exit.
    if (!(await this.hasState(id))) return;
    const r = await this.runner.run(this.binary, [...this.globalArgs, 'delete', ...(force ? ['--force'] : []), id]);
    if (r.code !== 0) {
      const msg = runcErrorMessage(r.stderr);
      if (/does not exist|not exist/.test(msg)) return;
      throw new InternalError(`runc delete: ${msg}`);
    }
  }

  private async hasState(id: string): Promise<boolean> {
    try {
      await access(join(this.root, id));
      return true;
    } catch {
      return false;
    }
  }

  /** Pids of every process in the container (host pid namespace). */
  async ps(id: string): Promise<number[]> {
    const out = await this.call(['ps', '--format', 'json', id], 'runc ps');
    const pids = JSON.parse(out) as number[] | null;
    return pids ?? [];
  }

  async update(id: string, resourcesJson: string): Promise<void> {
    const { writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(this.root, `${id}.resources.json`);
    await writeFile(file, resourcesJson);
    try {
      await this.call(['update', '--resources', file, id], 'runc update');
    } finally {
      await rm(file, { force: true });
    }
  }
}
