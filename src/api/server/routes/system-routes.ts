/** `_ping`, `version`, `info`, `events`. */
import { cpus, totalmem, release, hostname, type } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Engine } from '../../../engine/index.js';
import { eventMatches, goArch } from '../../../engine/index.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { parseTimeFilter, nowNs } from '../../../util/time.js';
import type { Router } from '../router.js';
import { maxApiVersion, minApiVersion } from '../router.js';

export interface DaemonFacts {
  readonly version: string;
  readonly gitCommit: string;
  readonly runcVersion: string;
  readonly conmonVersion: string;
  readonly id: string;
  readonly debug: boolean;
}

function operatingSystem(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function osVersion(): string {
  try {
    const m = /^VERSION_ID="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? '';
  } catch {
    return '';
  }
}

const eventFilterKeys = new Set(['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume']);

export function registerSystemRoutes(router: Router, engine: Engine, facts: DaemonFacts): void {
  const ping = (ctx: Parameters<Parameters<Router['add']>[2]>[0]) => {
    const res = ctx.res!;
    res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Swarm', 'inactive');
    res.setHeader('Builder-Version', '1');
    ctx.text(200, 'OK');
  };
  router.add('GET', '/_ping', ping);
  router.add('HEAD', '/_ping', ping);

  router.add('GET', '/version', (ctx) => {
    ctx.send(200, {
      Platform: { Name: 'Berth' },
      Components: [
        {
          Name: 'Engine',
          Version: facts.version,
          Details: {
            ApiVersion: maxApiVersion,
            Arch: goArch(),
            BuildTime: '',
            Experimental: 'false',
            GitCommit: facts.gitCommit,
            GoVersion: `node ${process.version}`,
            KernelVersion: release(),
            MinAPIVersion: minApiVersion,
            Os: 'linux',
          },
        },
        { Name: 'runc', Version: facts.runcVersion, Details: { GitCommit: '' } },
        { Name: 'conmon', Version: facts.conmonVersion, Details: { GitCommit: '' } },
      ],
      Version: facts.version,
      ApiVersion: maxApiVersion,
      MinAPIVersion: minApiVersion,
      GitCommit: facts.gitCommit,
      GoVersion: `node ${process.version}`,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: release(),
      BuildTime: '',
    });
  });

  router.add('GET', '/info', (ctx) => {
    const all = engine.containerStore.all();
    const running = all.filter((c) => c.State.Running && !c.State.Paused).length;
    const paused = all.filter((c) => c.State.Paused).length;
    ctx.send(200, {
      ID: facts.id,
      Containers: all.length,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: all.length - running - paused,
      Images: engine.imageStore.list().length,
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
        ['Using metacopy', 'false'],
        ['Native Overlay Diff', 'true'],
        ['userxattr', 'false'],
      ],
      Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['k8s-file'] },
      MemoryLimit: true,
      SwapLimit: engine.host.cgroupVersion === 2,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: facts.debug,
      NFd: 0,
      OomKillDisable: engine.host.cgroupVersion === 1,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'k8s-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: String(engine.host.cgroupVersion),
      NEventsListener: 0,
      KernelVersion: release(),
      OperatingSystem: operatingSystem(),
      OSVersion: osVersion(),
      OSType: type().toLowerCase(),
      Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: registryConfig(engine.options.registry?.insecureRegistries ?? [], engine.options.registry?.mirrors ?? []),
      NCPU: cpus().length,
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: engine.paths.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: facts.version,
      Runtimes: { runc: { path: engine.runc.binary } },
      DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: engine.host.initPath ?? '',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: engine.host.cgroupVersion === 2 ? ['name=cgroupns'] : [],
      Warnings: engine.host.cgroupVersion === 1 ? ['WARNING: No swap limit support'] : null,
    });
  });

  router.add('GET', '/events', (ctx) => {
    const f = ctx.filters();
    for (const k of Object.keys(f)) if (!eventFilterKeys.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    const sinceRaw = ctx.query.get('since');
    const untilRaw = ctx.query.get('until');
    const since = sinceRaw ? parseTimeFilter(sinceRaw) : null;
    const until = untilRaw ? parseTimeFilter(untilRaw) : null;
    if (sinceRaw && since === null) throw new InvalidArgumentError(`invalid value for "since": ${sinceRaw}`);
    if (untilRaw && until === null) throw new InvalidArgumentError(`invalid value for "until": ${untilRaw}`);
    const res = ctx.stream('application/json');
    const write = (e: object) => res.write(JSON.stringify(e) + '\n');
    const now = nowNs();
    if (since !== null) {
      for (const e of engine.events.history(Number(since), until === null ? Number(now) : Number(until))) if (eventMatches(e, f)) write(e);
    }
    if (until !== null && until <= now) {
      res.end();
      return;
    }
    const off = engine.events.subscribe((e) => {
      if (until !== null && BigInt(e.timeNano) > until) return;
      if (eventMatches(e, f)) write(e);
    });
    let timer: NodeJS.Timeout | undefined;
    if (until !== null) {
      timer = setTimeout(() => {
        off();
        res.end();
      }, Number((until - now) / 1_000_000n));
    }
    res.on('close', () => {
      off();
      if (timer) clearTimeout(timer);
    });
  });
}

/** `docker info`'s registry section: loopback and configured CIDRs, insecure hosts and mirrors per index. */
function registryConfig(insecure: readonly string[], mirrors: readonly string[]): Record<string, unknown> {
  const cidrs = ['::1/128', '127.0.0.0/8', ...insecure.filter((r) => /\/\d+$/.test(r))];
  const indexConfigs: Record<string, unknown> = {
    'docker.io': { Name: 'docker.io', Mirrors: [...mirrors], Secure: true, Official: true },
  };
  for (const host of insecure.filter((r) => !/\/\d+$/.test(r))) indexConfigs[host] = { Name: host, Mirrors: [], Secure: false, Official: false };
  return {
    AllowNondistributableArtifactsCIDRs: null,
    AllowNondistributableArtifactsHostnames: null,
    InsecureRegistryCIDRs: cidrs,
    IndexConfigs: indexConfigs,
    Mirrors: mirrors.length ? [...mirrors] : null,
  };
}
