/**
 * buildOciSpec: the runtime's `config.json` for one container, from decisions the engine has
 * already made (user resolved, capabilities computed, env merged). Pure: it reads nothing from
 * the host; facts about the host (cgroup version, nofile hard limit, init binary path) come in
 * through the input. Docker's defaults for a non-privileged container fill everything else.
 */
import { InvalidArgumentError } from '../../util/errors.js';
import { isKnownCapability } from './capabilities.js';
import { buildMounts, initPathInContainer, type BindMountInput, type TmpfsMountInput } from './mounts.js';
import {
  ociVersion,
  type OciBox,
  type OciLinux,
  type OciNamespace,
  type OciProcess,
  type OciPropagation,
  type OciSeccomp,
  type OciSpec,
} from './oci-types.js';
import { buildResources, type ResourcesInput } from './resources.js';
import { resolveRlimits, type Ulimit } from './rlimits.js';
import { defaultNetworkSysctls, validateSysctls } from './sysctls.js';

/**
 * Docker's default masked paths (bound over with /dev/null or an empty read-only tmpfs). Docker
 * also masks /sys/devices/system/cpu/cpuN/thermal_throttle where the host has them; a caller that
 * wants those appends them and passes `maskedPaths`.
 */
export const defaultMaskedPaths: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

/** Docker's default read-only paths. */
export const defaultReadonlyPaths: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** A namespace the container creates, shares with the host, or joins by path (`/proc/<pid>/ns/…`). */
export type NamespaceInput = { readonly mode: 'private' } | { readonly mode: 'host' } | { readonly mode: 'path'; readonly path: string };

export type NetworkNamespaceInput =
  | { readonly mode: 'private' }
  | { readonly mode: 'host' }
  | {
      readonly mode: 'path';
      readonly path: string;
      /**
       * The namespace was made for this container (a bridge sandbox), not borrowed from another
       * container: Docker's default network sysctls then apply. Default false.
       */
      readonly ownNamespace?: boolean;
    };

export interface ProcessInput {
  /** Final argv (entrypoint + cmd); the init prefix is added here when `init` is set. */
  readonly args: readonly string[];
  /** Final environment (see defaultEnv). */
  readonly env: readonly string[];
  /** Absolute working directory. */
  readonly cwd: string;
  readonly terminal: boolean;
  /** Initial console size; only used with a terminal. */
  readonly consoleSize?: OciBox;
  /** Resolved ids (see resolveUser). */
  readonly user: { readonly uid: number; readonly gid: number; readonly additionalGids: readonly number[] };
  readonly noNewPrivileges: boolean;
  /** Final capability set as `CAP_*` names (see resolveCapabilities). */
  readonly capabilities: readonly string[];
  /** -1000…1000; left to the inherited value when unset. */
  readonly oomScoreAdj?: number;
}

export interface OciSpecInput {
  /** Absolute path of the container's root filesystem (the overlay mount). */
  readonly rootfs: string;
  readonly readonlyRootfs: boolean;
  readonly process: ProcessInput;
  /** Set only with a private UTS namespace (as Docker: `--uts host` keeps the host's). */
  readonly hostname: string;
  /** NIS domain name; written as the kernel.domainname sysctl, as Docker does. */
  readonly domainname?: string;
  readonly namespaces: {
    readonly network: NetworkNamespaceInput;
    /** Default private. */
    readonly pid?: NamespaceInput;
    /** Default private; none = private without /dev/shm. */
    readonly ipc?: NamespaceInput | { readonly mode: 'none' };
    /** Default private. */
    readonly uts?: NamespaceInput;
    /** Default: private on cgroup v2, host on v1 (Docker's daemon defaults). */
    readonly cgroup?: 'private' | 'host';
  };
  readonly cgroupVersion: 1 | 2;
  /** cgroupfs style, e.g. `/berth/<id>`. */
  readonly cgroupsPath: string;
  /** /dev/shm size in bytes; default 64 MiB. */
  readonly shmSize?: number;
  /** Bind mounts (per-container /etc/hosts, /etc/hostname, /etc/resolv.conf, volumes, --volume). */
  readonly binds?: readonly BindMountInput[];
  /** tmpfs mounts (--tmpfs, HostConfig.Tmpfs, HostConfig.Mounts of type tmpfs). */
  readonly tmpfs?: readonly TmpfsMountInput[];
  /** Docker's --init: the host's static init (tini-static) run as PID 1. Only with a private PID namespace. */
  readonly init?: { readonly hostPath: string };
  readonly resources?: ResourcesInput;
  /** The daemon's own RLIMIT_NOFILE hard limit; no rlimit in the spec goes above it. */
  readonly hostNofileHardLimit: number;
  readonly ulimits?: readonly Ulimit[];
  /** A user nofile ulimit above the host hard limit: 'error' (default) or 'clamp'. */
  readonly ulimitsOverHostLimit?: 'error' | 'clamp';
  /** Replaces defaultMaskedPaths (HostConfig.MaskedPaths). */
  readonly maskedPaths?: readonly string[];
  /** Replaces defaultReadonlyPaths (HostConfig.ReadonlyPaths). */
  readonly readonlyPaths?: readonly string[];
  /** HostConfig.Sysctls; validated against the namespaces. */
  readonly sysctls?: Readonly<Record<string, string>>;
  /** Set Docker's default network sysctls in the container's own network namespace; default true. */
  readonly networkSysctlDefaults?: boolean;
  /** A seccomp profile in runtime-spec form, passed through; none by default. */
  readonly seccomp?: OciSeccomp;
  readonly annotations?: Readonly<Record<string, string>>;
}

const maxId = 2 ** 32 - 1;

function checkId(what: string, id: number): void {
  if (!Number.isSafeInteger(id) || id < 0 || id > maxId) throw new InvalidArgumentError(`invalid ${what}: ${id}`);
}

function validateProcess(p: ProcessInput): void {
  if (p.args.length === 0 || p.args[0] === '') throw new InvalidArgumentError('no command specified');
  if (!p.cwd.startsWith('/')) throw new InvalidArgumentError(`the working directory '${p.cwd}' is invalid, it needs to be an absolute path`);
  checkId('uid', p.user.uid);
  checkId('gid', p.user.gid);
  for (const g of p.user.additionalGids) checkId('additional gid', g);
  for (const c of p.capabilities) {
    if (!isKnownCapability(c)) throw new InvalidArgumentError(`unknown capability: "${c}"`);
  }
  if (p.oomScoreAdj !== undefined && (!Number.isInteger(p.oomScoreAdj) || p.oomScoreAdj < -1000 || p.oomScoreAdj > 1000)) {
    throw new InvalidArgumentError(`Invalid value ${p.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
}

function namespaceEntry(type: OciNamespace['type'], ns: NamespaceInput | { readonly mode: 'none' }): OciNamespace | null {
  switch (ns.mode) {
    case 'host':
      return null;
    case 'path':
      if (!ns.path.startsWith('/')) throw new InvalidArgumentError(`invalid ${type} namespace path: '${ns.path}'`);
      return { type, path: ns.path };
    default:
      return { type };
  }
}

/** The propagation the rootfs needs so that shared or slave binds can work (Docker's rule). */
function rootfsPropagation(binds: readonly BindMountInput[]): OciPropagation | undefined {
  let result: OciPropagation | undefined;
  for (const b of binds) {
    if (b.propagation === 'shared' || b.propagation === 'rshared') return 'shared';
    if (b.propagation === 'slave' || b.propagation === 'rslave') result = 'rslave';
  }
  return result;
}

export function buildOciSpec(input: OciSpecInput): OciSpec {
  if (!input.rootfs.startsWith('/')) throw new InvalidArgumentError(`rootfs path must be absolute: '${input.rootfs}'`);
  if (input.cgroupsPath === '') throw new InvalidArgumentError('cgroups path must not be empty');
  const p = input.process;
  validateProcess(p);

  const ns = input.namespaces;
  const pid = ns.pid ?? { mode: 'private' };
  const ipc = ns.ipc ?? { mode: 'private' };
  const uts = ns.uts ?? { mode: 'private' };
  const cgroupns = ns.cgroup ?? (input.cgroupVersion === 2 ? 'private' : 'host');
  const namespaces = [
    { type: 'mount' } as OciNamespace,
    namespaceEntry('network', ns.network),
    namespaceEntry('uts', uts),
    namespaceEntry('pid', pid),
    namespaceEntry('ipc', ipc),
    cgroupns === 'private' ? ({ type: 'cgroup' } as OciNamespace) : null,
  ].filter((n): n is OciNamespace => n !== null);

  const withInit = input.init !== undefined && pid.mode === 'private';
  const args = withInit ? [initPathInContainer, '--', ...p.args] : [...p.args];

  const process: OciProcess = {
    terminal: p.terminal,
    user: { uid: p.user.uid, gid: p.user.gid, additionalGids: [...p.user.additionalGids] },
    args,
    env: [...p.env],
    cwd: p.cwd,
    capabilities: {
      bounding: [...p.capabilities],
      effective: [...p.capabilities],
      inheritable: [],
      permitted: [...p.capabilities],
      ambient: [],
    },
    rlimits: resolveRlimits({
      hostNofileHardLimit: input.hostNofileHardLimit,
      ulimits: input.ulimits ?? [],
      overHostLimit: input.ulimitsOverHostLimit ?? 'error',
    }),
  };
  if (p.terminal && p.consoleSize && (p.consoleSize.height > 0 || p.consoleSize.width > 0)) {
    process.consoleSize = { height: p.consoleSize.height, width: p.consoleSize.width };
  }
  if (p.noNewPrivileges) process.noNewPrivileges = true;
  if (p.oomScoreAdj !== undefined) process.oomScoreAdj = p.oomScoreAdj;

  const ownNetns = ns.network.mode === 'private' || (ns.network.mode === 'path' && ns.network.ownNamespace === true);
  const sysctlSource: Record<string, string> = {};
  if (ownNetns && input.networkSysctlDefaults !== false) Object.assign(sysctlSource, defaultNetworkSysctls);
  if (input.domainname) sysctlSource['kernel.domainname'] = input.domainname;
  Object.assign(sysctlSource, input.sysctls ?? {});
  const sysctl = validateSysctls(sysctlSource, {
    network: ns.network.mode !== 'host',
    ipc: ipc.mode !== 'host',
    uts: uts.mode !== 'host',
  });

  const binds = input.binds ?? [];
  const linux: OciLinux = {
    namespaces,
    cgroupsPath: input.cgroupsPath,
    resources: buildResources(input.resources),
    maskedPaths: [...(input.maskedPaths ?? defaultMaskedPaths)],
    readonlyPaths: [...(input.readonlyPaths ?? defaultReadonlyPaths)],
  };
  if (Object.keys(sysctl).length > 0) linux.sysctl = sysctl;
  const propagation = rootfsPropagation(binds);
  if (propagation) linux.rootfsPropagation = propagation;
  if (input.seccomp) linux.seccomp = input.seccomp;

  const spec: OciSpec = {
    ociVersion,
    process,
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    mounts: buildMounts({
      readonlyRootfs: input.readonlyRootfs,
      ...(input.shmSize !== undefined ? { shmSize: input.shmSize } : {}),
      noShm: ipc.mode === 'none',
      ...(withInit ? { initHostPath: input.init!.hostPath } : {}),
      binds,
      tmpfs: input.tmpfs ?? [],
    }),
    linux,
  };
  if (uts.mode === 'private' && input.hostname !== '') spec.hostname = input.hostname;
  if (input.annotations && Object.keys(input.annotations).length > 0) spec.annotations = { ...input.annotations };
  return spec;
}
