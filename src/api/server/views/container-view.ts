/**
 * Container records as the Engine API shows them: the `GET /containers/json` summary and the
 * `GET /containers/{id}/json` document, with Docker's defaults for fields Berth leaves empty.
 */
import type { ContainerRecord } from '../../../engine/index.js';
import { humanDuration } from '../../../util/human-units.js';
import { parseRfc3339Ns, nowNs } from '../../../util/time.js';

const zero = '0001-01-01T00:00:00Z';

function sinceMs(ts: string): number {
  const ns = parseRfc3339Ns(ts);
  if (ns === null) return 0;
  return Number((nowNs() - ns) / 1_000_000n);
}

/** Docker's State.String(): "Up 5 seconds", "Exited (0) 2 minutes ago", "Created" … */
export function statusText(rec: ContainerRecord): string {
  const s = rec.State;
  if (s.Running) {
    if (s.Paused) return `Up ${humanDuration(sinceMs(s.StartedAt))} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(sinceMs(s.FinishedAt))} ago`;
    return `Up ${humanDuration(sinceMs(s.StartedAt))}`;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (s.StartedAt === zero) return 'Created';
  if (s.FinishedAt === zero) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(sinceMs(s.FinishedAt))} ago`;
}

function networkEntry(): Record<string, unknown> {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

function networkName(rec: ContainerRecord): string {
  return rec.HostConfig.NetworkMode || 'none';
}

export function mountsView(rec: ContainerRecord): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const b of rec.HostConfig.Binds ?? []) {
    const [src, dst, opts = ''] = b.split(':');
    out.push({ Type: 'bind', Source: src, Destination: dst, Mode: opts, RW: !opts.split(',').includes('ro'), Propagation: 'rprivate' });
  }
  for (const m of rec.HostConfig.Mounts ?? []) {
    out.push({
      Type: m.Type,
      Source: m.Source ?? '',
      Destination: m.Target,
      Mode: '',
      RW: !m.ReadOnly,
      Propagation: m.Type === 'bind' ? (m.BindOptions?.Propagation ?? 'rprivate') : '',
    });
  }
  return out;
}

export function containerSummary(rec: ContainerRecord, opts: { imageName: string }): Record<string, unknown> {
  const net = networkName(rec);
  return {
    Id: rec.Id,
    Names: [rec.Name],
    Image: opts.imageName,
    ImageID: rec.Image,
    Command: [rec.Path, ...rec.Args].join(' '),
    Created: Math.floor(Number((parseRfc3339Ns(rec.Created) ?? 0n) / 1_000_000_000n)),
    Ports: [],
    Labels: rec.Config.Labels ?? {},
    State: rec.State.Status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: net },
    NetworkSettings: { Networks: { [net]: networkEntry() } },
    Mounts: mountsView(rec),
  };
}

const hostConfigDefaults = {
  Binds: null,
  ContainerIDFile: '',
  LogConfig: { Type: 'k8s-file', Config: {} },
  NetworkMode: 'none',
  PortBindings: {},
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
  AutoRemove: false,
  VolumeDriver: '',
  VolumesFrom: null,
  ConsoleSize: [0, 0],
  CapAdd: null,
  CapDrop: null,
  CgroupnsMode: 'host',
  Dns: [],
  DnsOptions: [],
  DnsSearch: [],
  ExtraHosts: null,
  GroupAdd: null,
  IpcMode: 'private',
  Cgroup: '',
  Links: null,
  OomScoreAdj: 0,
  PidMode: '',
  Privileged: false,
  PublishAllPorts: false,
  ReadonlyRootfs: false,
  SecurityOpt: null,
  UTSMode: '',
  UsernsMode: '',
  ShmSize: 67108864,
  Runtime: 'runc',
  Isolation: '',
  CpuShares: 0,
  Memory: 0,
  NanoCpus: 0,
  CgroupParent: '',
  BlkioWeight: 0,
  BlkioWeightDevice: [],
  BlkioDeviceReadBps: [],
  BlkioDeviceWriteBps: [],
  BlkioDeviceReadIOps: [],
  BlkioDeviceWriteIOps: [],
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: [],
  DeviceCgroupRules: null,
  DeviceRequests: null,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: null,
  OomKillDisable: null,
  PidsLimit: null,
  Ulimits: [],
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
  MaskedPaths: [
    '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
    '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
  ],
  ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
};

export function containerInspect(
  rec: ContainerRecord,
  extra: { execIds: string[]; graphDriver: Record<string, string> | null; sizeRw?: number },
): Record<string, unknown> {
  const net = networkName(rec);
  const cfg = rec.Config;
  const hostConfig: Record<string, unknown> = { ...hostConfigDefaults, ...rec.HostConfig };
  const doc: Record<string, unknown> = {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: { ...rec.State },
    Image: rec.Image,
    ResolvConfPath: rec.ResolvConfPath,
    HostnamePath: rec.HostnamePath,
    HostsPath: rec.HostsPath,
    LogPath: rec.LogPath,
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: extra.execIds.length ? extra.execIds : null,
    HostConfig: hostConfig,
    GraphDriver: { Name: 'overlay2', Data: extra.graphDriver },
    Mounts: mountsView(rec),
    Config: {
      Hostname: cfg.Hostname ?? '',
      Domainname: cfg.Domainname ?? '',
      User: cfg.User ?? '',
      AttachStdin: !!cfg.AttachStdin,
      AttachStdout: !!cfg.AttachStdout,
      AttachStderr: !!cfg.AttachStderr,
      ...(cfg.ExposedPorts ? { ExposedPorts: cfg.ExposedPorts } : {}),
      Tty: !!cfg.Tty,
      OpenStdin: !!cfg.OpenStdin,
      StdinOnce: !!cfg.StdinOnce,
      Env: cfg.Env ?? [],
      Cmd: cfg.Cmd ?? null,
      ...(cfg.Healthcheck ? { Healthcheck: cfg.Healthcheck } : {}),
      Image: cfg.Image ?? '',
      Volumes: cfg.Volumes ?? null,
      WorkingDir: cfg.WorkingDir ?? '',
      Entrypoint: cfg.Entrypoint ?? null,
      OnBuild: cfg.OnBuild ?? null,
      Labels: cfg.Labels ?? {},
      ...(cfg.StopSignal ? { StopSignal: cfg.StopSignal } : {}),
      ...(cfg.StopTimeout !== undefined && cfg.StopTimeout !== null ? { StopTimeout: cfg.StopTimeout } : {}),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      Ports: {},
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '',
      Networks: { [net]: networkEntry() },
    },
  };
  if (extra.sizeRw !== undefined) doc.SizeRw = extra.sizeRw;
  return doc;
}
