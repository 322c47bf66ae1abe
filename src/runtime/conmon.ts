/**
 * Starts conmon, the per-container monitor, for a container (`runc create` under conmon) or an
 * exec session (`runc exec` under conmon). conmon daemonizes, so containers outlive berthd; it
 * reports through inherited pipes:
 *   fd 3 (_OCI_SYNCPIPE)   `{"data": pid}` once the process exists (`data` < 0 with `message` on
 *                          failure); for exec, a second `{"data": exitCode}` when it ends.
 *   fd 4 (_OCI_STARTPIPE)  conmon blocks on a read before starting its child (exec only, here);
 *                          with --exec-attach it reads once more before running the process.
 *   fd 5 (_OCI_ATTACHPIPE) exec only: `{"data": 0}` once the attach socket listens.
 * The exit code also lands in `<exitDir>/<id>` and `<persistDir>/exit` (see ExitWatcher).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { InternalError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Runc } from './runc.js';

export interface ConmonOptions {
  readonly binary: string;
  readonly runc: Runc;
  /** Where conmon drops `<container id>` exit files, watched by the daemon. */
  readonly exitDir: string;
  /** Short directory for attach-socket symlinks (unix socket paths are limited to 108 bytes). */
  readonly socketDir: string;
  readonly log: Logger;
}

export interface CreateOptions {
  readonly id: string;
  readonly name: string;
  readonly bundle: string;
  readonly terminal: boolean;
  /** Keep a stdin pipe into the container (Docker's OpenStdin). */
  readonly stdin: boolean;
  /** Keep stdin open after the first attached client disconnects (OpenStdin without StdinOnce). */
  readonly leaveStdinOpen: boolean;
  readonly logPath: string;
}

export interface ExecOptions {
  readonly containerId: string;
  readonly execId: string;
  /** A directory for this session: process.json, attach socket, ctl fifo, pid file. */
  readonly dir: string;
  readonly processSpecPath: string;
  readonly terminal: boolean;
  readonly stdin: boolean;
  /** Whether a client will attach; if so conmon waits for `start()` before running the process. */
  readonly attach: boolean;
}

export interface ExecSession {
  /** Resolves when the attach socket listens (attach sessions only). */
  readonly attachReady: Promise<void>;
  /** Lets conmon run the process (after the client connected to the attach socket). */
  start(): void;
  readonly pid: Promise<number>;
  /** The process's exit code; rejects if the runtime failed to start it. */
  readonly exitCode: Promise<number>;
}

interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads newline-delimited JSON messages from one of conmon's pipes. */
class MessageReader {
  private buf = '';
  private readonly queue: SyncMessage[] = [];
  private waiters: Array<{ resolve: (m: SyncMessage) => void; reject: (e: Error) => void }> = [];
  private ended = false;

  constructor(stream: Readable, private readonly describeEnd: () => string) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line) this.push(JSON.parse(line) as SyncMessage);
      }
    });
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      const tail = this.buf.trim();
      if (tail) {
        try {
          this.push(JSON.parse(tail) as SyncMessage);
        } catch {
          /* garbage after a crash */
        }
      }
      for (const w of this.waiters) w.reject(new InternalError(this.describeEnd()));
      this.waiters = [];
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private push(m: SyncMessage): void {
    const w = this.waiters.shift();
    if (w) w.resolve(m);
    else this.queue.push(m);
  }

  next(): Promise<SyncMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.reject(new InternalError(this.describeEnd()));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

function conmonEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // TZ=UTC: conmon stamps log lines in local time; UTC makes them Docker's form directly.
  return { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', TZ: 'UTC', ...extra };
}

export class Conmon {
  constructor(private readonly opts: ConmonOptions) {}

  attachSocketPath(sessionId: string): string {
    return join(this.opts.socketDir, sessionId, 'attach');
  }

  private baseArgs(sessionId: string, containerId: string, bundle: string, name: string): string[] {
    const args = [
      '--api-version', '1',
      '-c', containerId,
      '-u', sessionId,
      '-n', name,
      '-r', this.opts.runc.binary,
      '-b', bundle,
      '--socket-dir-path', this.opts.socketDir,
      '--log-level', 'error',
    ];
    for (const a of this.opts.runc.globalArgs) args.push('--runtime-arg', a);
    return args;
  }

  private spawnConmon(args: string[], extraFds: number, env: Record<string, string>, cwd: string): { child: ChildProcess; stderr: () => string } {
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'ignore', 'pipe'];
    for (let i = 0; i < extraFds; i++) stdio.push('pipe');
    const child = spawn(this.opts.binary, args, { stdio, env: conmonEnv(env), cwd, detached: false });
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      if (err.length < 16384) err += d;
    });
    child.on('error', (e) => {
      err += `cannot run ${this.opts.binary}: ${e.message}`;
    });
    return { child, stderr: () => err.trim() };
  }

  /**
   * Runs `runc create` under a new conmon. On return the container exists in runc's `created`
   * state, its attach socket listens, and `runc start` will run the user process.
   */
  async create(o: CreateOptions): Promise<{ pid: number }> {
    const args = this.baseArgs(o.id, o.id, o.bundle, o.name);
    args.push(
      '-p', join(o.bundle, 'pidfile'),
      '-P', join(o.bundle, 'conmon.pid'),
      '-l', `k8s-file:${o.logPath}`,
      '--exit-dir', this.opts.exitDir,
      '--persist-dir', o.bundle,
    );
    if (o.terminal) args.push('-t');
    if (o.stdin) args.push('-i');
    if (o.leaveStdinOpen) args.push('--leave-stdin-open');
    const { child, stderr } = this.spawnConmon(args, 1, { _OCI_SYNCPIPE: '3' }, o.bundle);
    const sync = new MessageReader(child.stdio[3] as Readable, () => `conmon exited before reporting: ${stderr() || 'no output'}`);
    try {
      const m = await withTimeout(sync.next(), 60_000, 'timed out waiting for conmon to create the container');
      if (m.data < 0) throw new InternalError(m.message?.trim() || 'runtime failed to create the container');
      return { pid: m.data };
    } finally {
      (child.stdio[3] as Readable).destroy();
      child.stderr!.destroy();
    }
  }

  /** Reads conmon's own pid for a container (written by conmon into the bundle). */
  static conmonPidFile(bundle: string): string {
    return join(bundle, 'conmon.pid');
  }

  exec(o: ExecOptions): ExecSession {
    const args = this.baseArgs(o.execId, o.containerId, o.dir, o.execId.slice(0, 12));
    args.push(
      '-p', join(o.dir, 'pidfile'),
      '-l', 'none',
      '--exit-dir', o.dir,
      '-e',
      '--exec-process-spec', o.processSpecPath,
    );
    if (o.terminal) args.push('-t');
    if (o.stdin) args.push('-i');
    const env: Record<string, string> = { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' };
    if (o.attach) {
      args.push('--exec-attach');
      env._OCI_ATTACHPIPE = '5';
    }
    const { child, stderr } = this.spawnConmon(args, o.attach ? 3 : 2, env, o.dir);
    const startPipe = child.stdio[4] as Writable;
    startPipe.on('error', () => {});
    const sync = new MessageReader(child.stdio[3] as Readable, () => `conmon exited before reporting: ${stderr() || 'no output'}`);
    // The first read unblocks conmon's set-up; with --exec-attach a second one releases the process.
    startPipe.write('0');
    let attachReady: Promise<void> = Promise.resolve();
    if (o.attach) {
      const attachPipe = new MessageReader((child.stdio as unknown as Readable[])[5]!, () => `conmon exited before its attach socket was ready: ${stderr() || 'no output'}`);
      attachReady = attachPipe.next().then((m) => {
        if (m.data < 0) throw new InternalError(m.message ?? 'conmon failed to set up the attach socket');
      });
    } else {
      startPipe.end();
    }
    const pid = sync.next().then((m) => {
      if (m.data < 0) throw new InternalError(m.message?.trim() || 'runtime failed to run the exec process');
      return m.data;
    });
    const exitCode = pid.then(() =>
      sync.next().then((m) => {
        if (m.message && m.data < 0) throw new InternalError(m.message);
        return m.data;
      }),
    );
    // Callers may await only one of these; never leave a rejection unobserved.
    pid.catch(() => {});
    exitCode.catch(() => {});
    attachReady.catch(() => {});
    return {
      attachReady,
      start: () => {
        if (o.attach) startPipe.end('0');
      },
      pid,
      exitCode,
    };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new InternalError(message)), ms);
    }),
  ]);
}
