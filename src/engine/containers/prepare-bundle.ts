/**
 * Turns a container record (Docker's Config + HostConfig) into an OCI bundle ready for runc:
 * the per-container /etc files, the user resolved through the image's own passwd and group,
 * Docker's environment defaults, and `config.json`. Runs at every start, with the container's
 * root filesystem mounted.
 */
import { writeFile, readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../util/errors.js';
import { readFileInRoot, mkdirInRoot } from '../../util/fs-in-root.js';
import type { Logger } from '../../util/log.js';
import { hostnameFile, hostsFile, resolvConfFor, readHostFile } from '../../network/index.js';
import {
  buildOciSpec,
  capabilitiesFromMask,
  defaultEnv,
  parseTmpfsMountOptions,
  resolveCapabilities,
  resolveUser,
  serializeOciSpec,
  tmpfsOptionsFromMount,
  type BindMountInput,
  type OciPropagation,
  type TmpfsMountInput,
} from '../../runtime/spec/index.js';
import type { ContainerRecord } from '../container-record.js';
import type { HostFacts } from '../engine.js';
import { validateBind } from './validate-host-config.js';

export interface BundleContext {
  readonly bundle: string;
  readonly rootfs: string;
  readonly host: HostFacts;
  readonly log: Logger;
}

let daemonCapabilities: string[] | undefined;
let swapAccounting: boolean | undefined;

/** The capabilities berthd itself holds; `--cap-add ALL` means these. */
async function availableCapabilities(): Promise<string[]> {
  if (!daemonCapabilities) {
    const status = await readFile('/proc/self/status', 'utf8');
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
    daemonCapabilities = m ? capabilitiesFromMask(m[1]!) : [];
  }
  return daemonCapabilities;
}

/** cgroup v1 without swap accounting cannot take a memory+swap limit (Docker drops it too). */
async function hasSwapAccounting(cgroupVersion: 1 | 2): Promise<boolean> {
  if (swapAccounting === undefined) {
    const probe = cgroupVersion === 2 ? '/sys/fs/cgroup/cgroup.controllers' : '/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes';
    swapAccounting = await access(probe).then(
      () => true,
      () => false,
    );
  }
  return swapAccounting;
}

function noNewPrivileges(securityOpt: readonly string[] | null | undefined): boolean {
  let on = false;
  for (const o of securityOpt ?? []) {
    const m = /^no-new-privileges(?:[:=](true|false))?$/.exec(o);
    if (m) on = m[1] !== 'false';
  }
  return on;
}

function binds(rec: ContainerRecord): BindMountInput[] {
  const out: BindMountInput[] = [];
  for (const spec of rec.HostConfig.Binds ?? []) {
    const b = validateBind(spec);
    out.push({ source: b.source, destination: b.target, readonly: b.readonly, ...(b.propagation ? { propagation: b.propagation as OciPropagation } : {}) });
  }
  for (const m of rec.HostConfig.Mounts ?? []) {
    if (m.Type !== 'bind') continue;
    out.push({
      source: m.Source!,
      destination: m.Target,
      readonly: !!m.ReadOnly,
      ...(m.BindOptions?.Propagation ? { propagation: m.BindOptions.Propagation as OciPropagation } : {}),
      ...(m.BindOptions?.NonRecursive ? { nonRecursive: true } : {}),
    });
  }
  return out;
}

function tmpfsMounts(rec: ContainerRecord): TmpfsMountInput[] {
  const out: TmpfsMountInput[] = [];
  for (const [destination, opts] of Object.entries(rec.HostConfig.Tmpfs ?? {})) {
    out.push({ destination, options: parseTmpfsMountOptions(opts ?? '') });
  }
  for (const m of rec.HostConfig.Mounts ?? []) {
    if (m.Type !== 'tmpfs') continue;
    const text = tmpfsOptionsFromMount({
      ...(m.TmpfsOptions?.SizeBytes ? { sizeBytes: m.TmpfsOptions.SizeBytes } : {}),
      ...(m.TmpfsOptions?.Mode ? { mode: m.TmpfsOptions.Mode } : {}),
      readOnly: !!m.ReadOnly,
    });
    out.push({ destination: m.Target, options: parseTmpfsMountOptions(text) });
  }
  return out;
}

async function writeEtcFiles(rec: ContainerRecord, ctx: BundleContext): Promise<void> {
  const hc = rec.HostConfig;
  const hostNet = hc.NetworkMode === 'host';
  await writeFile(rec.HostnamePath, hostnameFile(rec.Config.Hostname ?? ''));
  const hostResolv = await readHostFile('/etc/resolv.conf', '');
  if (hostNet) {
    // Host networking shares the host's /etc/hosts, as Docker does; with --add-host entries Docker
    // writes its own file instead (so an entry can override a name the host's file has).
    const extraHosts = hc.ExtraHosts ?? [];
    await writeFile(rec.HostsPath, extraHosts.length ? hostsFile({ extraHosts }) : await readHostFile('/etc/hosts', hostsFile({})));
    await writeFile(rec.ResolvConfPath, hc.Dns?.length || hc.DnsSearch?.length || hc.DnsOptions?.length ? resolvConfFor(hostResolv, dnsOptions(rec)) : hostResolv);
  } else {
    await writeFile(rec.HostsPath, hostsFile({ extraHosts: hc.ExtraHosts ?? [] }));
    await writeFile(rec.ResolvConfPath, resolvConfFor(hostResolv, dnsOptions(rec)));
  }
  void ctx;
}

function dnsOptions(rec: ContainerRecord): { dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[] } {
  const hc = rec.HostConfig;
  return {
    ...(hc.Dns?.length ? { dns: hc.Dns } : {}),
    ...(hc.DnsSearch?.length ? { dnsSearch: hc.DnsSearch } : {}),
    ...(hc.DnsOptions?.length ? { dnsOptions: hc.DnsOptions } : {}),
  };
}

export async function prepareBundle(rec: ContainerRecord, ctx: BundleContext): Promise<void> {
  const hc = rec.HostConfig;
  const cfg = rec.Config;
  await writeEtcFiles(rec, ctx);

  const user = resolveUser(
    cfg.User ?? '',
    { passwd: await readFileInRoot(ctx.rootfs, '/etc/passwd'), group: await readFileInRoot(ctx.rootfs, '/etc/group') },
    hc.GroupAdd ?? [],
  );
  const cwd = cfg.WorkingDir || '/';
  // Docker creates a missing working directory in the container's own layer.
  if (cwd !== '/') await mkdirInRoot(ctx.rootfs, cwd);
  const tty = !!cfg.Tty;
  if (hc.Init && !ctx.host.initPath) {
    throw new InvalidArgumentError('--init was requested but this host has no static init binary (Debian: apt-get install tini)');
  }
  const memorySwap = (await hasSwapAccounting(ctx.host.cgroupVersion)) ? hc.MemorySwap : -1;
  const etcReadonly = !!hc.ReadonlyRootfs;
  const spec = buildOciSpec({
    rootfs: ctx.rootfs,
    readonlyRootfs: !!hc.ReadonlyRootfs,
    process: {
      args: [rec.Path, ...rec.Args],
      env: defaultEnv({ env: cfg.Env ?? [], hostname: cfg.Hostname ?? '', tty, home: user.home }),
      cwd,
      terminal: tty,
      ...(tty && hc.ConsoleSize && hc.ConsoleSize[0] > 0 ? { consoleSize: { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] } } : {}),
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      noNewPrivileges: noNewPrivileges(hc.SecurityOpt),
      capabilities: resolveCapabilities({ capAdd: hc.CapAdd ?? [], capDrop: hc.CapDrop ?? [], available: await availableCapabilities() }),
      ...(hc.OomScoreAdj ? { oomScoreAdj: hc.OomScoreAdj } : {}),
    },
    hostname: cfg.Hostname ?? '',
    ...(cfg.Domainname ? { domainname: cfg.Domainname } : {}),
    namespaces: {
      network: hc.NetworkMode === 'host' ? { mode: 'host' } : { mode: 'private' },
      pid: hc.PidMode === 'host' ? { mode: 'host' } : { mode: 'private' },
      ipc: hc.IpcMode === 'host' ? { mode: 'host' } : { mode: 'private' },
      uts: hc.UTSMode === 'host' ? { mode: 'host' } : { mode: 'private' },
    },
    cgroupVersion: ctx.host.cgroupVersion,
    cgroupsPath: `/berth/${rec.Id}`,
    ...(hc.ShmSize ? { shmSize: hc.ShmSize } : {}),
    binds: [
      { source: rec.ResolvConfPath, destination: '/etc/resolv.conf', readonly: etcReadonly },
      { source: rec.HostnamePath, destination: '/etc/hostname', readonly: etcReadonly },
      { source: rec.HostsPath, destination: '/etc/hosts', readonly: etcReadonly },
      ...binds(rec),
    ],
    tmpfs: tmpfsMounts(rec),
    ...(hc.Init && ctx.host.initPath ? { init: { hostPath: ctx.host.initPath } } : {}),
    resources: {
      ...(hc.Memory ? { memory: hc.Memory } : {}),
      ...(hc.MemoryReservation ? { memoryReservation: hc.MemoryReservation } : {}),
      ...(memorySwap !== undefined && memorySwap !== 0 ? { memorySwap } : {}),
      ...(hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && hc.MemorySwappiness >= 0 ? { memorySwappiness: hc.MemorySwappiness } : {}),
      ...(hc.OomKillDisable ? { oomKillDisable: true } : {}),
      ...(hc.CpuShares ? { cpuShares: hc.CpuShares } : {}),
      ...(hc.NanoCpus ? { nanoCpus: hc.NanoCpus } : {}),
      ...(hc.CpuPeriod ? { cpuPeriod: hc.CpuPeriod } : {}),
      ...(hc.CpuQuota ? { cpuQuota: hc.CpuQuota } : {}),
      ...(hc.CpusetCpus ? { cpusetCpus: hc.CpusetCpus } : {}),
      ...(hc.CpusetMems ? { cpusetMems: hc.CpusetMems } : {}),
      ...(hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit !== 0 ? { pidsLimit: hc.PidsLimit } : {}),
      ...(hc.BlkioWeight ? { blkioWeight: hc.BlkioWeight } : {}),
    },
    hostNofileHardLimit: ctx.host.nofileHardLimit,
    ulimits: (hc.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
    ...(hc.MaskedPaths ? { maskedPaths: hc.MaskedPaths } : {}),
    ...(hc.ReadonlyPaths ? { readonlyPaths: hc.ReadonlyPaths } : {}),
    ...(hc.Sysctls ? { sysctls: hc.Sysctls } : {}),
    ...(hc.Annotations ? { annotations: hc.Annotations } : {}),
  });
  await writeFile(join(ctx.bundle, 'config.json'), serializeOciSpec(spec));
}
