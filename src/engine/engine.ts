/**
 * Wires the subsystems into one engine for the API server: stores, runtime, services. `open`
 * does the crash recovery (ingests, snapshots, containers) before anything is served.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { openDatabase, type Db } from '../state/index.js';
import { ContentStore } from '../content/index.js';
import { Snapshotter, type Mounter } from '../snapshots/index.js';
import { ImageStore, type LayerUnpacker } from '../images/index.js';
import { Conmon, ExitWatcher, Runc, ExecFileRunner, type CommandRunner } from '../runtime/index.js';
import type { Logger } from '../util/log.js';
import { DaemonPaths } from './daemon-paths.js';
import { EventBus } from './events.js';
import { ContainerStore } from './container-store.js';
import { ContainerService } from './containers/container-service.js';
import { ExecService } from './exec/exec-service.js';
import { ImageService } from './images/image-service.js';
import { DistributionService } from './images/distribution-service.js';
import { createRegistryAccess } from './images/registry-access.js';
import type { RegistryAccess, RegistryAccessOptions } from './images/remote.js';
import { ArchiveService } from './images/archive-service.js';
import { ImagePruner } from './images/image-prune.js';
import type { ContainerRecord } from './container-record.js';

export interface EngineOptions {
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly runcPath: string;
  readonly conmonPath: string;
  /** Static init for `--init` (Docker's docker-init); null when the host has none. */
  readonly initPath: string | null;
  readonly log: Logger;
  readonly mounter: Mounter;
  readonly unpackLayer: LayerUnpacker;
  readonly connectAttach: (path: string) => Promise<Duplex>;
  readonly runner?: CommandRunner;
  /** How registries are reached (--insecure-registry, --registry-mirror); see RegistryAccessOptions. */
  readonly registry?: Partial<RegistryAccessOptions>;
  /** Replaces the registry client (unit tests give an in-memory registry). */
  readonly registryAccess?: RegistryAccess;
  /** Docker's --max-concurrent-downloads (default 3) and --max-concurrent-uploads (default 5). */
  readonly maxConcurrentDownloads?: number;
  readonly maxConcurrentUploads?: number;
  /** zlib level for layers a push compresses (default 1: fast; registries see ordinary gzip). */
  readonly pushGzipLevel?: number;
}

export interface HostFacts {
  readonly cgroupVersion: 1 | 2;
  readonly nofileHardLimit: number;
  readonly initPath: string | null;
  readonly hostname: string;
}

async function detectCgroupVersion(): Promise<1 | 2> {
  try {
    await readFile('/sys/fs/cgroup/cgroup.controllers');
    return 2;
  } catch {
    return 1;
  }
}

async function nofileHardLimit(): Promise<number> {
  try {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    if (hard === 'unlimited') return 1048576;
    const n = Number(hard);
    return Number.isFinite(n) && n > 0 ? n : 1024;
  } catch {
    return 1024;
  }
}

export class Engine {
  readonly paths: DaemonPaths;
  readonly events = new EventBus();
  readonly db: Db;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  readonly imageStore: ImageStore;
  readonly containerStore: ContainerStore;
  readonly runc: Runc;
  readonly conmon: Conmon;
  readonly exitWatcher: ExitWatcher;
  readonly containers: ContainerService;
  readonly exec: ExecService;
  readonly images: ImageService;
  readonly distribution: DistributionService;
  /** save / load. */
  readonly archives: ArchiveService;
  readonly imagePruner: ImagePruner;
  readonly host: HostFacts;
  readonly startedAt = new Date();

  private constructor(
    readonly options: EngineOptions,
    host: HostFacts,
    db: Db,
  ) {
    const log = options.log;
    this.host = host;
    this.paths = new DaemonPaths(options.dataRoot, options.execRoot);
    this.db = db;
    this.content = new ContentStore(this.paths.content);
    this.snapshots = new Snapshotter(this.paths.snapshots, db, options.mounter, log.child({ subsystem: 'snapshots' }));
    this.imageStore = new ImageStore(db, this.content, this.snapshots, options.unpackLayer, log.child({ subsystem: 'images' }));
    this.containerStore = new ContainerStore(db);
    const runner = options.runner ?? new ExecFileRunner();
    this.runc = new Runc(options.runcPath, this.paths.runcRoot, runner);
    this.conmon = new Conmon({
      binary: options.conmonPath,
      runc: this.runc,
      exitDir: this.paths.exitDir,
      socketDir: this.paths.socketDir,
      log: log.child({ subsystem: 'conmon' }),
    });
    this.exitWatcher = new ExitWatcher(this.paths.exitDir, log.child({ subsystem: 'exits' }));
    this.containers = new ContainerService({
      store: this.containerStore,
      images: this.imageStore,
      snapshots: this.snapshots,
      runc: this.runc,
      conmon: this.conmon,
      events: this.events,
      paths: this.paths,
      log: log.child({ subsystem: 'containers' }),
      connectAttach: options.connectAttach,
      host,
    });
    this.exec = new ExecService({
      containers: this.containerStore,
      conmon: this.conmon,
      events: this.events,
      paths: this.paths,
      log: log.child({ subsystem: 'exec' }),
      connectAttach: options.connectAttach,
      nofileHardLimit: host.nofileHardLimit,
    });
    this.images = new ImageService(this.imageStore, this.content, this.snapshots, this.containerStore, options.unpackLayer, this.events, log.child({ subsystem: 'images' }));
    const registryLog = log.child({ subsystem: 'distribution' });
    const access =
      options.registryAccess ??
      createRegistryAccess(
        {
          insecureRegistries: options.registry?.insecureRegistries ?? [],
          mirrors: options.registry?.mirrors ?? [],
          ...(options.registry?.certsDirs ? { certsDirs: options.registry.certsDirs } : {}),
          userAgent: options.registry?.userAgent ?? 'berth',
        },
        registryLog,
      );
    this.distribution = new DistributionService({
      store: this.imageStore,
      content: this.content,
      snapshots: this.snapshots,
      unpack: options.unpackLayer,
      access,
      events: this.events,
      log: registryLog,
      inUse: () => new Set(this.containerStore.all().map((c) => c.SnapshotKey)),
      maxConcurrentDownloads: options.maxConcurrentDownloads ?? 3,
      maxConcurrentUploads: options.maxConcurrentUploads ?? 5,
      gzipLevel: options.pushGzipLevel ?? 1,
    });
    this.archives = new ArchiveService({
      store: this.imageStore,
      content: this.content,
      snapshots: this.snapshots,
      containers: this.containerStore,
      unpack: options.unpackLayer,
      events: this.events,
      log: log.child({ subsystem: 'archives' }),
    });
    this.imagePruner = new ImagePruner({ images: this.images, store: this.imageStore, containers: this.containerStore, events: this.events, log: log.child({ subsystem: 'images' }) });
  }

  /** Opens (and repairs) the stores, then re-adopts containers. */
  static async open(options: EngineOptions): Promise<Engine> {
    const paths = new DaemonPaths(options.dataRoot, options.execRoot);
    for (const dir of [paths.dataRoot, paths.containers, paths.execRoot, paths.runcRoot, paths.exitDir, paths.socketDir]) {
      await mkdir(dir, { recursive: true, mode: 0o711 });
    }
    const host: HostFacts = {
      cgroupVersion: await detectCgroupVersion(),
      nofileHardLimit: await nofileHardLimit(),
      initPath: options.initPath,
      hostname: hostname(),
    };
    const db = openDatabase(paths.stateDb);
    const engine = new Engine(options, host, db);
    await engine.content.init();
    const leftovers = await engine.content.cleanupIngests();
    if (leftovers) options.log.info('removed unfinished blob ingests', { count: leftovers });
    await engine.snapshots.init();
    engine.imageStore.init();
    engine.containerStore.load();
    engine.exitWatcher.on('exit', (e) => engine.containers.onExitReported(e.id, e.exitCode));
    await engine.containers.reconcile();
    // What an operation cut short by a crash stored and no image took (a load's blobs and layers).
    await engine.images.collectGarbage();
    await engine.exitWatcher.start();
    return engine;
  }

  /** Overlay directories of a container, as `inspect` shows them under GraphDriver.Data. */
  graphDriverData(rec: ContainerRecord): Record<string, string> | null {
    try {
      const m = this.snapshots.overlay(rec.SnapshotKey);
      return { LowerDir: m.lowerdirs.join(':'), MergedDir: this.paths.rootfs(rec.Id), UpperDir: m.upperdir, WorkDir: m.workdir };
    } catch {
      return null;
    }
  }

  /** Bytes in a container's writable layer. */
  async sizeRw(rec: ContainerRecord): Promise<number> {
    try {
      return await duBytes(this.snapshots.overlay(rec.SnapshotKey).upperdir);
    } catch {
      return 0;
    }
  }

  /** Stops background work; containers keep running under conmon. */
  async close(): Promise<void> {
    this.containers.shutdown();
    this.exitWatcher.stop();
    this.db.close();
  }
}

async function duBytes(dir: string): Promise<number> {
  const { readdir, lstat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = await lstat(p);
      if (e.isDirectory()) await walk(p);
      else total += st.size;
    }
  };
  await walk(dir);
  return total;
}
