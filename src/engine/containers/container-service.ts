/**
 * The container lifecycle with Docker's semantics: create, start, stop, kill, restart, pause,
 * rename, wait, remove, plus exit handling, restart policies and re-adoption after a daemon crash.
 *
 * Locking: every operation that changes one container runs under that container's mutex, and
 * the record is saved to SQLite before anything is announced (events, waiters). conmon keeps the
 * container alive and records its exit, so nothing here has to be running for a container to run.
 */
import { mkdir, rm } from 'node:fs/promises';
import { openSync, writeSync, closeSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  ConflictError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  errorMessage,
} from '../../util/errors.js';
import { newId } from '../../util/ids.js';
import { randomName } from '../../util/names.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { parseSignal } from '../../util/signals.js';
import { nowRfc3339Nano, parseRfc3339Ns, nowNs } from '../../util/time.js';
import type { Logger } from '../../util/log.js';
import type { ImageStore } from '../../images/index.js';
import type { Snapshotter } from '../../snapshots/index.js';
import type { Conmon, Runc } from '../../runtime/index.js';
import { readExitCode, wasOomKilled, readContainerLog, type LogRecord } from '../../runtime/index.js';
import type { EventBus } from '../events.js';
import type { DaemonPaths } from '../daemon-paths.js';
import type { ContainerConfig, HostConfig } from '../docker-types.js';
import { zeroTime } from '../docker-types.js';
import { initialState, type ContainerRecord } from '../container-record.js';
import { ContainerStore } from '../container-store.js';
import { shouldRestart, nextBackoff } from '../restart-policy.js';
import { mergeImageConfig, entrypointAndArgs, validateWorkingDir } from './merge-config.js';
import { validateHostConfig } from './validate-host-config.js';
import { bridgeAttachSocket, type AttachedStreams, type OutputSink } from './attach-bridge.js';
import { prepareBundle } from './prepare-bundle.js';

export interface CreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: unknown;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface AttachRequest {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly logs: boolean;
  readonly stream: boolean;
}

export interface LogsRequest {
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly follow: boolean;
  readonly sinceNs?: bigint;
  readonly untilNs?: bigint;
  readonly tail?: number;
  /** Prefix each record with its RFC 3339 time (`docker logs -t`). */
  readonly timestamps?: boolean;
  readonly signal?: AbortSignal;
}

export interface ContainerServiceDeps {
  readonly store: ContainerStore;
  readonly images: ImageStore;
  readonly snapshots: Snapshotter;
  readonly runc: Runc;
  readonly conmon: Conmon;
  readonly events: EventBus;
  readonly paths: DaemonPaths;
  readonly log: Logger;
  /** Opens a conmon attach socket (SOCK_SEQPACKET). */
  readonly connectAttach: (path: string) => Promise<Duplex>;
  /** Facts about the host that shape the OCI spec. */
  readonly host: { readonly cgroupVersion: 1 | 2; readonly nofileHardLimit: number; readonly initPath: string | null; readonly hostname: string };
}

type PendingAttach = (socketPath: string) => Promise<void>;

const defaultStopTimeoutSec = 10;

export class ContainerService {
  private readonly mutex = new KeyedMutex();
  private readonly exitWaiters = new Map<string, Array<(code: number) => void>>();
  private readonly removeWaiters = new Map<string, Array<() => void>>();
  private readonly pendingAttach = new Map<string, PendingAttach[]>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly backoffMs = new Map<string, number>();
  private readonly removing = new Set<string>();
  private shuttingDown = false;

  constructor(private readonly d: ContainerServiceDeps) {}

  get store(): ContainerStore {
    return this.d.store;
  }

  private attrs(rec: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
    return { ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? '', name: rec.Name.slice(1), ...extra };
  }

  private event(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.d.events.publish('container', action, rec.Id, this.attrs(rec, extra));
  }

  // ---------------------------------------------------------------- create

  async create(req: CreateRequest, name: string | undefined): Promise<{ Id: string; Warnings: string[] }> {
    if (name !== undefined && name !== '' && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
      throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (!req.Image) throw new InvalidArgumentError('config cannot be empty in order to create a container');
    const hostConfig = validateHostConfig(req.HostConfig);
    const image = this.d.images.resolve(req.Image);
    const { HostConfig: _hc, NetworkingConfig: _nc, ...userConfig } = req;
    const config = mergeImageConfig(userConfig, image.config.config);
    config.WorkingDir = validateWorkingDir(config.WorkingDir);
    const { path, args } = entrypointAndArgs(config);
    if (config.StopSignal) parseSignal(config.StopSignal);

    const id = newId();
    let fullName = name ? (name.startsWith('/') ? name : `/${name}`) : `/${randomName()}`;
    if (!name) {
      for (let i = 0; this.d.store.idForName(fullName) && i < 10; i++) fullName = `/${randomName()}`;
    }
    const holder = this.d.store.idForName(fullName);
    if (holder) throw this.d.store.conflictFor(fullName, holder);

    if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' ? this.d.host.hostname : id.slice(0, 12);
    config.Image = req.Image;
    config.AttachStdin = !!config.AttachStdin;
    config.AttachStdout = !!config.AttachStdout;
    config.AttachStderr = !!config.AttachStderr;
    config.Tty = !!config.Tty;
    config.OpenStdin = !!config.OpenStdin;
    config.StdinOnce = !!config.StdinOnce;
    config.Domainname = config.Domainname ?? '';

    const bundle = this.d.paths.container(id);
    const top = await this.d.images.ensureUnpacked(image);
    const snapshotKey = `ctr-${id}`;
    await mkdir(bundle, { recursive: true, mode: 0o710 });
    try {
      await this.d.snapshots.prepareActive(snapshotKey, top);
      const rec: ContainerRecord = {
        Id: id,
        Name: fullName,
        Created: nowRfc3339Nano(),
        Path: path,
        Args: args,
        Config: config,
        HostConfig: hostConfig,
        Image: image.id,
        State: initialState(),
        RestartCount: 0,
        HasBeenStartedBefore: false,
        HasBeenManuallyStopped: false,
        LogPath: this.d.paths.containerLog(id),
        HostnamePath: join(bundle, 'hostname'),
        HostsPath: join(bundle, 'hosts'),
        ResolvConfPath: join(bundle, 'resolv.conf'),
        SnapshotKey: snapshotKey,
        ConmonPid: 0,
      };
      this.d.store.insert(rec);
      this.event(rec, 'create');
      return { Id: id, Warnings: [] };
    } catch (err) {
      await this.d.snapshots.remove(snapshotKey).catch(() => {});
      await rm(bundle, { recursive: true, force: true });
      throw err;
    }
  }

  // ---------------------------------------------------------------- start

  /** Starts a container. Returns false when it was already running (HTTP 304). */
  async start(ref: string): Promise<boolean> {
    const id = this.d.store.resolve(ref).Id;
    return this.mutex.run(id, () => this.startLocked(id, false));
  }

  private async startLocked(id: string, isRestart: boolean): Promise<boolean> {
    const rec = this.mustGet(id);
    if (this.removing.has(id)) throw new ConflictError(`container is marked for removal and cannot be started`);
    if (rec.State.Status === 'paused') throw new ConflictError(`cannot start a paused container, try unpause instead`);
    if (rec.State.Running && !rec.State.Restarting) return false;
    this.cancelRestart(id);
    const bundle = this.d.paths.container(id);
    const rootfs = this.d.paths.rootfs(id);
    try {
      const image = this.d.images.get(rec.Image);
      if (image) await this.d.images.ensureUnpacked(image);
      await this.d.runc.delete(id, true);
      await this.d.snapshots.unmount(rootfs);
      await this.d.snapshots.mount(rec.SnapshotKey, rootfs);
      await prepareBundle(rec, { bundle, rootfs, host: this.d.host, log: this.d.log });
      await rm(join(bundle, 'exit'), { force: true });
      await rm(join(bundle, 'oom'), { force: true });
      const tty = !!rec.Config.Tty;
      const { pid } = await this.d.conmon.create({
        id,
        name: rec.Name.slice(1),
        bundle,
        terminal: tty,
        stdin: !!rec.Config.OpenStdin,
        leaveStdinOpen: tty || !rec.Config.StdinOnce,
        logPath: rec.LogPath,
      });
      const attaches = this.pendingAttach.get(id) ?? [];
      this.pendingAttach.delete(id);
      const sockPath = this.d.conmon.attachSocketPath(id);
      await Promise.all(attaches.map((a) => a(sockPath).catch((err) => this.d.log.warn('attach failed', { id, err }))));
      await this.d.runc.start(id);
      rec.State = {
        ...rec.State,
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: pid,
        ExitCode: 0,
        Error: '',
        StartedAt: nowRfc3339Nano(),
        FinishedAt: isRestart || rec.HasBeenStartedBefore ? rec.State.FinishedAt : zeroTime,
      };
      rec.ConmonPid = await readConmonPid(bundle);
      rec.HasBeenStartedBefore = true;
      if (!isRestart) rec.HasBeenManuallyStopped = false;
      this.d.store.save(rec);
      this.event(rec, 'start');
      return true;
    } catch (err) {
      await this.d.runc.delete(id, true).catch(() => {});
      await this.d.snapshots.unmount(rootfs).catch(() => {});
      const msg = startErrorMessage(err);
      rec.State = { ...rec.State, Running: false, Restarting: false, Pid: 0, ExitCode: startErrorExitCode(msg), Error: msg };
      if (isRestart) {
        rec.State.Status = 'exited';
        rec.State.FinishedAt = nowRfc3339Nano();
      }
      this.d.store.save(rec);
      for (const a of this.pendingAttach.get(id) ?? []) void a('').catch(() => {});
      this.pendingAttach.delete(id);
      if (isRestart) this.notifyExit(id, rec.State.ExitCode);
      // Docker removes an auto-remove container whose start failed (`run --rm` waits for it).
      if (rec.HostConfig.AutoRemove) {
        setImmediate(() => void this.remove(id, { force: true }).catch((e) => this.d.log.warn('auto-remove failed', { id, err: e })));
      }
      // Docker answers 400 when the command cannot run (127/126), 500 for other runtime failures.
      if (rec.State.ExitCode === 127 || rec.State.ExitCode === 126) throw new InvalidArgumentError(msg, { cause: err });
      throw new InternalError(msg, { cause: err });
    }
  }

  // ---------------------------------------------------------------- exit

  /**
   * Called by the exit watcher for every exit conmon reports (also for exits that happened while
   * berthd was down). Wakes operations that wait for this exit while holding the lock, then
   * records the exit under the lock (a no-op if one of them already did).
   */
  onExitReported(id: string, exitCode: number): void {
    const ws = this.rawExit.get(id);
    if (ws) for (const w of [...ws]) w(exitCode);
    void this.mutex
      .run(id, () => this.processExitLocked(id, exitCode))
      .catch((err) => this.d.log.error('cannot record container exit', { id, err }));
  }

  private readonly rawExit = new Map<string, Set<(code: number) => void>>();

  /**
   * For lock holders (stop, kill, remove): register before signalling, then `settle` resolves
   * with the exit code, or null after `ms` (negative: no limit).
   */
  private exitWaiter(id: string): { settle(ms: number): Promise<number | null> } {
    let resolveFn!: (code: number | null) => void;
    const p = new Promise<number | null>((r) => (resolveFn = r));
    const set = this.rawExit.get(id) ?? new Set();
    const fn = (code: number) => resolveFn(code);
    set.add(fn);
    this.rawExit.set(id, set);
    const cleanup = () => {
      set.delete(fn);
      if (set.size === 0 && this.rawExit.get(id) === set) this.rawExit.delete(id);
    };
    return {
      settle: async (ms: number) => {
        // The process may have died before the signal: conmon's durable exit file tells.
        const already = await readExitCode(this.d.paths.container(id));
        if (already !== null) resolveFn(already);
        const timer = ms >= 0 ? setTimeout(() => resolveFn(null), ms) : undefined;
        try {
          return await p;
        } finally {
          if (timer) clearTimeout(timer);
          cleanup();
        }
      },
    };
  }

  /**
   * Records an exit: state, runtime clean-up, events, waiters, then the follow-up (auto-remove or
   * a restart per policy). Caller holds the container's lock. Idempotent.
   */
  private async processExitLocked(id: string, exitCode: number): Promise<void> {
    const rec = this.d.store.get(id);
    if (!rec || !rec.State.Running || rec.State.Restarting) return;
    const bundle = this.d.paths.container(id);
    const oom = await wasOomKilled(bundle);
    await this.d.runc.delete(id, true).catch((err) => this.d.log.warn('runc delete failed', { id, err }));
    await this.d.snapshots.unmount(this.d.paths.rootfs(id)).catch((err) => this.d.log.warn('unmount failed', { id, err }));
    const code = exitCode < 0 ? 255 : exitCode;
    rec.State = {
      ...rec.State,
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      Pid: 0,
      ExitCode: code,
      OOMKilled: oom,
      FinishedAt: nowRfc3339Nano(),
    };
    rec.ConmonPid = 0;
    this.d.store.save(rec);
    if (oom) this.event(rec, 'oom');
    this.event(rec, 'die', { exitCode: String(code) });
    this.notifyExit(id, code);
    if (rec.HostConfig.AutoRemove) {
      // After the lock is released: remove takes it.
      setImmediate(() => void this.remove(id, { force: true }).catch((err) => this.d.log.warn('auto-remove failed', { id, err })));
    } else if (
      shouldRestart(rec.HostConfig.RestartPolicy, {
        exitCode: code,
        manuallyStopped: rec.HasBeenManuallyStopped,
        restartCount: rec.RestartCount,
        daemonShuttingDown: this.shuttingDown,
      })
    ) {
      this.scheduleRestart(rec);
    }
  }

  private scheduleRestart(rec: ContainerRecord): void {
    const started = parseRfc3339Ns(rec.State.StartedAt) ?? 0n;
    const finished = parseRfc3339Ns(rec.State.FinishedAt) ?? nowNs();
    const ranForMs = Number((finished - started) / 1_000_000n);
    const delay = nextBackoff(this.backoffMs.get(rec.Id) ?? 0, ranForMs);
    this.backoffMs.set(rec.Id, delay);
    rec.State = { ...rec.State, Status: 'restarting', Restarting: true, Running: true };
    rec.RestartCount++;
    this.d.store.save(rec);
    const timer = setTimeout(() => {
      this.restartTimers.delete(rec.Id);
      void this.mutex
        .run(rec.Id, async () => {
          const cur = this.d.store.get(rec.Id);
          if (!cur || !cur.State.Restarting) return;
          await this.startLocked(rec.Id, true);
          const c = this.d.store.get(rec.Id);
          if (c) this.event(c, 'restart');
        })
        .catch((err) => this.d.log.warn('restart failed', { id: rec.Id, err }));
    }, delay);
    this.restartTimers.set(rec.Id, timer);
  }

  private cancelRestart(id: string): boolean {
    const t = this.restartTimers.get(id);
    if (!t) return false;
    clearTimeout(t);
    this.restartTimers.delete(id);
    return true;
  }

  private notifyExit(id: string, code: number): void {
    const ws = this.exitWaiters.get(id) ?? [];
    this.exitWaiters.delete(id);
    for (const w of ws) w(code);
  }

  private nextExit(id: string): Promise<number> {
    return new Promise((resolve) => {
      const list = this.exitWaiters.get(id) ?? [];
      list.push(resolve);
      this.exitWaiters.set(id, list);
    });
  }

  // ---------------------------------------------------------------- stop / kill / restart

  /** Stops a container. Returns false when it was not running (HTTP 304). */
  async stop(ref: string, opts: { signal?: string; timeoutSec?: number } = {}): Promise<boolean> {
    const id = this.d.store.resolve(ref).Id;
    return this.mutex.run(id, () => this.stopLocked(id, opts));
  }

  private async stopLocked(id: string, opts: { signal?: string; timeoutSec?: number }): Promise<boolean> {
    const rec = this.mustGet(id);
    if (rec.State.Restarting) {
      this.cancelRestart(id);
      rec.HasBeenManuallyStopped = true;
      rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false };
      this.d.store.save(rec);
      this.event(rec, 'stop');
      return true;
    }
    if (!rec.State.Running) return false;
    const sig = parseSignal(opts.signal || rec.Config.StopSignal || 'SIGTERM');
    const timeout = opts.timeoutSec ?? rec.Config.StopTimeout ?? defaultStopTimeoutSec;
    rec.HasBeenManuallyStopped = true;
    this.d.store.save(rec);
    const waiter = this.exitWaiter(id);
    if (rec.State.Paused) await this.d.runc.resume(id).catch(() => {});
    await this.d.runc.kill(id, sig.number).catch((err) => this.d.log.debug('stop signal failed', { id, err }));
    this.event(rec, 'kill', { signal: String(sig.number) });
    let code = await waiter.settle(timeout < 0 ? -1 : timeout * 1000);
    if (code === null) {
      const killWaiter = this.exitWaiter(id);
      await this.d.runc.kill(id, 9, true).catch(() => {});
      this.event(rec, 'kill', { signal: '9' });
      code = (await killWaiter.settle(30_000)) ?? 137;
    }
    await this.processExitLocked(id, code);
    this.event(this.mustGet(id), 'stop');
    return true;
  }

  async kill(ref: string, signal: string | undefined): Promise<void> {
    const id = this.d.store.resolve(ref).Id;
    const sig = parseSignal(signal || 'SIGKILL');
    await this.mutex.run(id, async () => {
      const rec = this.mustGet(id);
      if (!rec.State.Running) throw new ConflictError(`Cannot kill container: ${ref}: container ${id} is not running`);
      const stopSig = rec.Config.StopSignal ? parseSignal(rec.Config.StopSignal).number : 15;
      const final = sig.number === 9 || sig.number === stopSig;
      if (final) {
        rec.HasBeenManuallyStopped = true;
        this.d.store.save(rec);
      }
      if (rec.State.Restarting) {
        if (final) {
          this.cancelRestart(id);
          rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false };
          this.d.store.save(rec);
        }
        this.event(rec, 'kill', { signal: String(sig.number) });
        return;
      }
      const waiter = sig.number === 9 ? this.exitWaiter(id) : null;
      await this.d.runc.kill(id, sig.number);
      if (rec.State.Paused && final) await this.d.runc.resume(id).catch(() => {});
      this.event(rec, 'kill', { signal: String(sig.number) });
      if (waiter) {
        const code = await waiter.settle(10_000);
        if (code !== null) await this.processExitLocked(id, code);
      }
    });
  }

  async restart(ref: string, opts: { signal?: string; timeoutSec?: number } = {}): Promise<void> {
    const id = this.d.store.resolve(ref).Id;
    await this.mutex.run(id, async () => {
      await this.stopLocked(id, opts);
      await this.startLocked(id, false);
      const rec = this.mustGet(id);
      this.event(rec, 'restart');
    });
  }

  // ---------------------------------------------------------------- pause

  async pause(ref: string): Promise<void> {
    const id = this.d.store.resolve(ref).Id;
    await this.mutex.run(id, async () => {
      const rec = this.mustGet(id);
      if (!rec.State.Running || rec.State.Restarting) throw new ConflictError(`Container ${id} is not running`);
      if (rec.State.Paused) throw new ConflictError(`Container ${id} is already paused`);
      await this.d.runc.pause(id);
      rec.State = { ...rec.State, Status: 'paused', Paused: true };
      this.d.store.save(rec);
      this.event(rec, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const id = this.d.store.resolve(ref).Id;
    await this.mutex.run(id, async () => {
      const rec = this.mustGet(id);
      if (!rec.State.Paused) throw new ConflictError(`Container ${id} is not paused`);
      await this.d.runc.resume(id);
      rec.State = { ...rec.State, Status: 'running', Paused: false };
      this.d.store.save(rec);
      this.event(rec, 'unpause');
    });
  }

  // ---------------------------------------------------------------- rename

  async rename(ref: string, newName: string): Promise<void> {
    if (!newName) throw new InvalidArgumentError('Neither old nor new names may be empty');
    if (!/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(newName)) {
      throw new InvalidArgumentError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    const id = this.d.store.resolve(ref).Id;
    await this.mutex.run(id, async () => {
      const rec = this.mustGet(id);
      const full = newName.startsWith('/') ? newName : `/${newName}`;
      if (full === rec.Name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      const oldName = rec.Name;
      this.d.store.save({ ...rec, Name: full });
      this.event(this.mustGet(id), 'rename', { oldName });
    });
  }

  // ---------------------------------------------------------------- wait

  /**
   * Registers a wait and returns a promise of its result; registration happens before this
   * returns, so a client that sees the response headers can start the container safely.
   */
  wait(ref: string, condition: WaitCondition): Promise<{ StatusCode: number; Error?: { Message: string } }> {
    const rec = this.d.store.resolve(ref);
    const id = rec.Id;
    if (condition === 'removed') {
      return new Promise((resolve) => {
        const list = this.removeWaiters.get(id) ?? [];
        list.push(() => resolve({ StatusCode: this.lastExit.get(id) ?? 0 }));
        this.removeWaiters.set(id, list);
      });
    }
    if (condition === 'not-running' && !rec.State.Running) {
      return Promise.resolve({ StatusCode: rec.State.ExitCode });
    }
    return this.nextExit(id).then((code) => {
      const cur = this.d.store.get(id);
      const err = cur?.State.Error;
      return err ? { StatusCode: code, Error: { Message: err } } : { StatusCode: code };
    });
  }

  private readonly lastExit = new Map<string, number>();

  // ---------------------------------------------------------------- remove

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const id = this.d.store.resolve(ref).Id;
    if (this.removing.has(id)) throw new ConflictError(`removal of container ${ref} is already in progress`);
    await this.mutex.run(id, async () => {
      const rec = this.d.store.get(id);
      if (!rec) throw new NotFoundError(`No such container: ${ref}`);
      if (rec.State.Running && !rec.State.Restarting) {
        if (!opts.force) {
          if (rec.State.Paused) throw new ConflictError(`cannot remove container "${rec.Name}": container is paused and must be unpaused first`);
          throw new ConflictError(`cannot remove container "${rec.Name}": container is running: stop the container before removing or force remove`);
        }
        this.removing.add(id);
        rec.HasBeenManuallyStopped = true;
        this.d.store.save(rec);
        const waiter = this.exitWaiter(id);
        await this.d.runc.kill(id, 9, true).catch(() => {});
        if (rec.State.Paused) await this.d.runc.resume(id).catch(() => {});
        this.event(rec, 'kill', { signal: '9' });
        await this.processExitLocked(id, (await waiter.settle(10_000)) ?? 137);
      }
      this.removing.add(id);
      try {
        this.cancelRestart(id);
        await this.destroy(this.mustGet(id));
      } finally {
        this.removing.delete(id);
      }
    });
  }

  private async destroy(rec: ContainerRecord): Promise<void> {
    const id = rec.Id;
    rec.State = { ...rec.State, Status: 'removing' };
    this.d.store.save(rec);
    await this.d.runc.delete(id, true).catch((err) => this.d.log.warn('runc delete failed', { id, err }));
    await this.d.snapshots.unmount(this.d.paths.rootfs(id));
    await this.d.snapshots.remove(rec.SnapshotKey);
    await rm(this.d.paths.container(id), { recursive: true, force: true });
    await rm(join(this.d.paths.socketDir, id), { force: true });
    this.d.store.delete(id);
    this.backoffMs.delete(id);
    this.lastExit.set(id, rec.State.ExitCode);
    setTimeout(() => this.lastExit.delete(id), 60_000).unref();
    this.event(rec, 'destroy');
    const ws = this.removeWaiters.get(id) ?? [];
    this.removeWaiters.delete(id);
    for (const w of ws) w();
    this.notifyExit(id, rec.State.ExitCode);
  }

  async prune(filter: (rec: ContainerRecord) => boolean): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    for (const rec of this.d.store.all()) {
      if (rec.State.Running || !filter(rec)) continue;
      try {
        await this.remove(rec.Id);
        deleted.push(rec.Id);
      } catch (err) {
        this.d.log.warn('prune: cannot remove container', { id: rec.Id, err });
      }
    }
    if (deleted.length) this.d.events.publish('container', 'prune', '', { reclaimed: '0' });
    return { ContainersDeleted: deleted, SpaceReclaimed: 0 };
  }

  // ---------------------------------------------------------------- attach, resize, logs, top

  /**
   * Attaches a client. For a created container the connection to conmon is made when it starts,
   * before its process runs, so no output is lost (Docker's attach-before-start).
   */
  async attach(ref: string, req: AttachRequest, sink: OutputSink): Promise<AttachedStreams> {
    const rec = this.d.store.resolve(ref);
    const id = rec.Id;
    if (req.logs) {
      await readContainerLog(rec.LogPath, { follow: false }, (r: LogRecord) => {
        if ((r.stream === 'stdout' && req.stdout) || (r.stream === 'stderr' && req.stderr)) sink.write(r.stream, r.data);
      });
    }
    if (!req.stream) {
      sink.end();
      return { stdin: null, done: Promise.resolve(), close: () => {} };
    }
    const want = { stdin: req.stdin && !!rec.Config.OpenStdin, stdout: req.stdout, stderr: req.stderr };
    if (rec.State.Running && !rec.State.Restarting) {
      const sock = await this.d.connectAttach(this.d.conmon.attachSocketPath(id));
      return bridgeAttachSocket(sock, sink, want);
    }
    if (rec.State.Status !== 'created' && !rec.State.Restarting && rec.State.Status !== 'exited') {
      sink.end();
      return { stdin: null, done: Promise.resolve(), close: () => {} };
    }
    // Not running yet: hand out proxies that bind to conmon at start.
    let bound: AttachedStreams | null = null;
    let closed = false;
    const earlyInput: Buffer[] = [];
    let earlyEnd = false;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const pending: PendingAttach = async (sockPath) => {
      if (closed) return;
      if (!sockPath) {
        sink.end();
        resolveDone();
        return;
      }
      const sock = await this.d.connectAttach(sockPath);
      bound = bridgeAttachSocket(sock, sink, want);
      for (const b of earlyInput) bound.stdin?.write(b);
      if (earlyEnd) bound.stdin?.end();
      void bound.done.then(resolveDone);
    };
    const list = this.pendingAttach.get(id) ?? [];
    list.push(pending);
    this.pendingAttach.set(id, list);
    return {
      stdin: want.stdin
        ? {
            write: (b: Buffer) => (bound ? bound.stdin?.write(b) : earlyInput.push(b)),
            end: () => (bound ? bound.stdin?.end() : (earlyEnd = true)),
          }
        : null,
      done,
      close: () => {
        closed = true;
        const l = this.pendingAttach.get(id);
        if (l) this.pendingAttach.set(id, l.filter((p) => p !== pending));
        bound?.close();
        resolveDone();
      },
    };
  }

  resize(ref: string, height: number, width: number): void {
    const rec = this.d.store.resolve(ref);
    if (!rec.State.Running) throw new ConflictError(`Container ${rec.Id} is not running`);
    writeResize(join(this.d.paths.container(rec.Id), 'ctl'), height, width);
  }

  async logs(ref: string, req: LogsRequest, sink: OutputSink): Promise<void> {
    const rec = this.d.store.resolve(ref);
    const stopped = rec.State.Running ? this.nextExit(rec.Id).then(() => undefined) : Promise.resolve();
    await readContainerLog(
      rec.LogPath,
      {
        follow: req.follow && rec.State.Running,
        ...(req.sinceNs !== undefined ? { sinceNs: req.sinceNs } : {}),
        ...(req.untilNs !== undefined ? { untilNs: req.untilNs } : {}),
        ...(req.tail !== undefined ? { tail: req.tail } : {}),
        stopped,
        ...(req.signal ? { signal: req.signal } : {}),
      },
      (r) => {
        if ((r.stream === 'stdout' && req.stdout) || (r.stream === 'stderr' && req.stderr)) {
          sink.write(r.stream, req.timestamps ? Buffer.concat([Buffer.from(`${r.timestamp} `), r.data]) : r.data);
        }
      },
    );
    sink.end();
  }

  async top(ref: string): Promise<number[]> {
    const rec = this.d.store.resolve(ref);
    if (!rec.State.Running || rec.State.Restarting) throw new ConflictError(`Container ${rec.Id} is not running`);
    return this.d.runc.ps(rec.Id);
  }

  // ---------------------------------------------------------------- daemon start / stop

  /**
   * Re-adopts containers after a (possibly unclean) daemon start: running ones stay running,
   * ones that exited meanwhile get their real exit code, restart policies resume, and leftovers
   * of half-made or half-removed containers are cleaned up.
   */
  async reconcile(): Promise<void> {
    const live = new Set<string>();
    for (const rec of this.d.store.all()) {
      live.add(rec.SnapshotKey);
      const id = rec.Id;
      if (rec.State.Status === 'removing') {
        this.d.log.info('finishing interrupted removal', { id });
        await this.destroy(rec).catch((err) => this.d.log.warn('cannot finish removal', { id, err }));
        continue;
      }
      if (rec.State.Running && !rec.State.Restarting) {
        const st = await this.d.runc.state(id);
        const conmonAlive = rec.ConmonPid > 0 && processAlive(rec.ConmonPid);
        if (st && (st.status === 'running' || st.status === 'paused') && conmonAlive) {
          const paused = st.status === 'paused';
          if (paused !== rec.State.Paused) {
            rec.State = { ...rec.State, Paused: paused, Status: paused ? 'paused' : 'running' };
            this.d.store.save(rec);
          }
          this.d.log.info('re-adopted running container', { id, pid: st.pid });
          continue;
        }
        const code = (await readExitCode(this.d.paths.container(id))) ?? (st?.status === 'stopped' ? 255 : 255);
        this.d.log.info('container exited while the daemon was down', { id, exitCode: code });
        if (st && st.status !== 'stopped') await this.d.runc.delete(id, true).catch(() => {});
        await this.mutex.run(id, () => this.processExitLocked(id, code));
        continue;
      }
      if (rec.State.Restarting) {
        // The daemon died during a back-off: resume the policy.
        rec.State = { ...rec.State, Running: false, Restarting: false, Status: 'exited' };
        this.d.store.save(rec);
        this.restartOnDaemonStart(rec);
        continue;
      }
      await this.d.snapshots.unmount(this.d.paths.rootfs(id)).catch(() => {});
      this.restartOnDaemonStart(rec);
    }
    for (const key of this.d.snapshots.keys('active')) {
      if (!live.has(key)) {
        this.d.log.info('removing writable layer of a container that no longer exists', { key });
        await this.d.snapshots.remove(key).catch(() => {});
      }
    }
    await this.removeOrphanBundles();
  }

  /** Docker restarts `always` containers at daemon start, and `unless-stopped` ones not stopped by hand. */
  private restartOnDaemonStart(rec: ContainerRecord): void {
    const p = rec.HostConfig.RestartPolicy?.Name;
    const yes = p === 'always' || (p === 'unless-stopped' && !rec.HasBeenManuallyStopped) ||
      (p === 'on-failure' && !rec.HasBeenManuallyStopped && rec.State.ExitCode !== 0 &&
        ((rec.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0) === 0 || rec.RestartCount < (rec.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0)));
    if (!yes || !rec.HasBeenStartedBefore) return;
    void this.mutex
      .run(rec.Id, () => this.startLocked(rec.Id, true))
      .catch((err) => this.d.log.warn('cannot restart container at daemon start', { id: rec.Id, err }));
  }

  private async removeOrphanBundles(): Promise<void> {
    const { readdir } = await import('node:fs/promises');
    const names = await readdir(this.d.paths.containers).catch(() => [] as string[]);
    for (const n of names) {
      if (this.d.store.get(n)) continue;
      this.d.log.info('removing leftover container directory', { id: n });
      await this.d.runc.delete(n, true).catch(() => {});
      await this.d.snapshots.unmount(this.d.paths.rootfs(n)).catch(() => {});
      await rm(this.d.paths.container(n), { recursive: true, force: true });
    }
  }

  /** Stops scheduling restarts; containers keep running (conmon holds them). */
  shutdown(): void {
    this.shuttingDown = true;
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
  }

  private mustGet(id: string): ContainerRecord {
    const rec = this.d.store.get(id);
    if (!rec) throw new NotFoundError(`No such container: ${id}`);
    return rec;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readConmonPid(bundle: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  for (let i = 0; i < 20; i++) {
    try {
      const n = Number((await readFile(join(bundle, 'conmon.pid'), 'utf8')).trim());
      if (n > 0) return n;
    } catch {
      /* conmon writes it right after forking */
    }
    await sleep(5);
  }
  return 0;
}

/** Docker's wording for a start that the runtime refused. */
function startErrorMessage(err: unknown): string {
  const msg = errorMessage(err);
  if (/^(runc|OCI runtime)/.test(msg) || /unable to start container process|container_linux|runc create failed/.test(msg)) {
    // runc logs in logfmt (time=… level=error msg="…"): keep the message, unquoted.
    const logfmt = /msg="((?:[^"\\]|\\.)*)"/.exec(msg);
    const text = logfmt ? logfmt[1]!.replace(/\\(.)/g, '$1') : msg;
    return `failed to create task for container: OCI runtime create failed: ${text}: unknown`;
  }
  return msg;
}

/** The exit code Docker records when a start fails (the CLI derives the same from the message). */
function startErrorExitCode(msg: string): number {
  if (/executable file not found|no such file or directory/.test(msg)) return 127;
  if (/permission denied/.test(msg)) return 126;
  return 128;
}

/** conmon's control FIFO: `1 <height> <width>\n` resizes the terminal. */
export function writeResize(ctlPath: string, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
    throw new InvalidArgumentError('invalid terminal size');
  }
  let fd: number;
  try {
    fd = openSync(ctlPath, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    throw new ConflictError(`cannot resize: ${errorMessage(err)}`);
  }
  try {
    writeSync(fd, `1 ${height} ${width}\n`);
  } finally {
    closeSync(fd);
  }
}

