/**
 * Exec sessions (`docker exec`): extra processes in a running container, each supervised by its
 * own conmon (`runc exec`). Sessions live in memory, as Docker's do; their process spec starts
 * from the container's own (capabilities, no-new-privileges, rlimits) with the exec's overrides.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError, errorMessage } from '../../util/errors.js';
import { newId } from '../../util/ids.js';
import type { Logger } from '../../util/log.js';
import type { Conmon } from '../../runtime/index.js';
import { resolveUser, resolveRlimits, serializeOciJson } from '../../runtime/spec/index.js';
import { readFileInRoot } from '../../util/fs-in-root.js';
import type { EventBus } from '../events.js';
import type { DaemonPaths } from '../daemon-paths.js';
import type { ContainerStore } from '../container-store.js';
import { mergeEnv, validateWorkingDir } from '../containers/merge-config.js';
import { bridgeAttachSocket, type AttachedStreams, type OutputSink } from '../containers/attach-bridge.js';
import { writeResize } from '../containers/container-service.js';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[] | null;
  Cmd?: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecRecord {
  readonly id: string;
  readonly containerId: string;
  readonly config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  dir: string;
}

export interface ExecServiceDeps {
  readonly containers: ContainerStore;
  readonly conmon: Conmon;
  readonly events: EventBus;
  readonly paths: DaemonPaths;
  readonly log: Logger;
  readonly connectAttach: (path: string) => Promise<Duplex>;
  /** The daemon's RLIMIT_NOFILE hard limit, to rebuild the container's rlimits exactly. */
  readonly nofileHardLimit: number;
}

export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly d: ExecServiceDeps) {}

  private runningContainer(ref: string) {
    const rec = this.d.containers.resolve(ref);
    if (rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is paused, unpause the container before exec`);
    if (!rec.State.Running || rec.State.Restarting) throw new ConflictError(`Container ${rec.Id} is not running`);
    return rec;
  }

  create(containerRef: string, cfg: ExecConfig): { Id: string } {
    const rec = this.runningContainer(containerRef);
    if (!Array.isArray(cfg.Cmd) || cfg.Cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
    if (cfg.Privileged) throw new InvalidArgumentError('privileged exec is not supported yet');
    if (cfg.WorkingDir) validateWorkingDir(cfg.WorkingDir);
    const id = newId();
    this.execs.set(id, {
      id,
      containerId: rec.Id,
      config: cfg,
      running: false,
      started: false,
      exitCode: null,
      pid: 0,
      dir: this.d.paths.execDir(rec.Id, id),
    });
    this.d.events.publish('container', `exec_create: ${cfg.Cmd.join(' ')}`, rec.Id, this.attrs(rec.Id, id));
    return { Id: id };
  }

  private attrs(containerId: string, execId: string, extra: Record<string, string> = {}): Record<string, string> {
    const rec = this.d.containers.get(containerId);
    return { ...(rec?.Config.Labels ?? {}), execID: execId, image: rec?.Config.Image ?? '', name: rec?.Name.slice(1) ?? '', ...extra };
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  idsFor(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  /** Forgets the sessions of a removed container. */
  forgetContainer(containerId: string): void {
    for (const e of this.execs.values()) if (e.containerId === containerId) this.execs.delete(e.id);
  }

  /**
   * Starts the process. With `sink` the client is attached (output to the sink, `stdin` from it)
   * and the returned promise carries the streams; detached, it resolves once the process runs.
   */
  async start(id: string, opts: { detach: boolean; tty?: boolean; consoleSize?: [number, number] }, sink: OutputSink | null): Promise<AttachedStreams | null> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Exec ${id} has already been started`);
    const ctr = this.runningContainer(e.containerId);
    e.started = true;
    const cfg = e.config;
    const tty = opts.tty ?? !!cfg.Tty;
    const attach = !opts.detach && sink !== null;
    const stdin = attach && !!cfg.AttachStdin;
    await mkdir(e.dir, { recursive: true, mode: 0o700 });
    const specPath = join(e.dir, 'process.json');
    try {
      await writeFile(specPath, serializeOciJson(await this.processSpec(e, ctr.Id, tty, opts.consoleSize ?? cfg.ConsoleSize ?? null)));
    } catch (err) {
      e.exitCode = 126;
      await rm(e.dir, { recursive: true, force: true });
      throw err;
    }
    const session = this.d.conmon.exec({
      containerId: ctr.Id,
      execId: id,
      dir: e.dir,
      processSpecPath: specPath,
      terminal: tty,
      stdin,
      attach,
    });
    let streams: AttachedStreams | null = null;
    if (attach) {
      try {
        await session.attachReady;
        const sock = await this.d.connectAttach(this.d.conmon.attachSocketPath(id));
        streams = bridgeAttachSocket(sock, sink!, { stdin, stdout: cfg.AttachStdout !== false, stderr: cfg.AttachStderr !== false });
      } catch (err) {
        this.finish(e, 126);
        throw err;
      }
      session.start();
    }
    this.d.events.publish('container', `exec_start: ${(cfg.Cmd ?? []).join(' ')}`, ctr.Id, this.attrs(ctr.Id, id));
    e.running = true;
    session.pid.then((pid) => (e.pid = pid), () => {});
    const exited = session.exitCode.then(
      (code) => this.finish(e, code),
      (err: unknown) => {
        const msg = errorMessage(err);
        const code = /executable file not found|no such file or directory/.test(msg) ? 127 : /permission denied/.test(msg) ? 126 : 126;
        // Docker writes the runtime's refusal into the stream the client reads.
        sink?.write('stdout', Buffer.from(`OCI runtime exec failed: ${msg.trim()}: unknown\r\n`));
        this.finish(e, code);
      },
    );
    if (!streams) {
      if (!opts.detach) return null;
      await session.pid.catch(() => undefined);
      return null;
    }
    const s = streams;
    // Output can end before conmon reports the exit code; callers wait for both.
    return { stdin: s.stdin, done: Promise.all([s.done, exited]).then(() => undefined), close: s.close };
  }

  private finish(e: ExecRecord, code: number): void {
    if (e.exitCode !== null) return;
    e.running = false;
    e.exitCode = code;
    e.pid = 0;
    this.d.events.publish('container', 'exec_die', e.containerId, this.attrs(e.containerId, e.id, { exitCode: String(code) }));
    void rm(e.dir, { recursive: true, force: true });
  }

  private async processSpec(e: ExecRecord, containerId: string, tty: boolean, consoleSize: [number, number] | null): Promise<Record<string, unknown>> {
    const ctr = this.d.containers.get(containerId)!;
    const bundle = this.d.paths.container(containerId);
    const base = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process: Record<string, unknown> };
    const rootfs = this.d.paths.rootfs(containerId);
    const userSpec = e.config.User || ctr.Config.User || '';
    const user = resolveUser(userSpec, {
      passwd: await readFileInRoot(rootfs, '/etc/passwd'),
      group: await readFileInRoot(rootfs, '/etc/group'),
    });
    const baseEnv = (base.process.env as string[] | undefined) ?? [];
    let env = mergeEnv(baseEnv, e.config.Env ?? []);
    if (tty && !env.some((x) => x.startsWith('TERM='))) env = [...env, 'TERM=xterm'];
    // Another user than the container's gets that user's HOME unless the exec sets one.
    if (e.config.User && !(e.config.Env ?? []).some((x) => x.startsWith('HOME='))) env = mergeEnv(env, [`HOME=${user.home}`]);
    const spec: Record<string, unknown> = {
      ...base.process,
      // Parsed JSON cannot hold RLIM_INFINITY (2^64-1) exactly: rebuild the limits from the config.
      rlimits: resolveRlimits({
        hostNofileHardLimit: this.d.nofileHardLimit,
        ulimits: (ctr.HostConfig.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
      }),
      terminal: tty,
      args: e.config.Cmd,
      env,
      cwd: e.config.WorkingDir || (base.process.cwd as string) || '/',
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    };
    if (tty && consoleSize) spec.consoleSize = { height: consoleSize[0], width: consoleSize[1] };
    else delete spec.consoleSize;
    return spec;
  }

  resize(id: string, height: number, width: number): void {
    const e = this.get(id);
    if (!e.running) throw new ConflictError(`Exec ${id} is not running`);
    writeResize(join(e.dir, 'ctl'), height, width);
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    const cmd = e.config.Cmd ?? [];
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: !!e.config.Tty,
        entrypoint: cmd[0] ?? '',
        arguments: cmd.slice(1),
        privileged: !!e.config.Privileged,
        user: e.config.User ?? '',
      },
      OpenStdin: !!e.config.AttachStdin,
      OpenStderr: !!e.config.AttachStderr,
      OpenStdout: !!e.config.AttachStdout,
      CanRemove: !e.running && e.started,
      ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys ?? '',
      Pid: e.pid,
    };
  }
}
