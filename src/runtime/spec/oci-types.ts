/**
 * The parts of the OCI runtime specification (v1.0.2, `config.json`) that Berth writes, with the
 * field names the spec uses. Optional fields are left out of the object, never set to undefined,
 * so the JSON holds only what was decided.
 */

export const ociVersion = '1.0.2';

/**
 * RLIM_INFINITY as the runtime reads it: the largest uint64. JavaScript numbers cannot hold it,
 * so it is a bigint; write specs with `serializeOciSpec`, which prints it exactly (plain
 * `JSON.stringify` throws on a bigint instead of writing a wrong number).
 */
export const RLIM_INFINITY = 18446744073709551615n;

export type RlimitValue = number | bigint;

export interface OciRlimit {
  /** `RLIMIT_NOFILE`, `RLIMIT_CORE` … */
  type: string;
  soft: RlimitValue;
  hard: RlimitValue;
}

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  inheritable: string[];
  permitted: string[];
  ambient: string[];
}

export interface OciBox {
  height: number;
  width: number;
}

export interface OciProcess {
  terminal: boolean;
  consoleSize?: OciBox;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits: OciRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
}

export interface OciRoot {
  path: string;
  readonly?: boolean;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface OciNamespace {
  type: OciNamespaceType;
  /** Join the namespace at this path instead of creating one. */
  path?: string;
}

export interface OciDeviceCgroup {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
}

export interface OciCpu {
  shares?: number;
  quota?: number;
  period?: number;
  cpus?: string;
  mems?: string;
}

export interface OciPids {
  limit: number;
}

export interface OciBlockIO {
  weight?: number;
}

export interface OciResources {
  devices: OciDeviceCgroup[];
  memory?: OciMemory;
  cpu?: OciCpu;
  pids?: OciPids;
  blockIO?: OciBlockIO;
}

export type OciPropagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

/** A seccomp profile in the runtime spec's shape; Berth passes it through untouched. */
export type OciSeccomp = Record<string, unknown>;

export interface OciLinux {
  namespaces: OciNamespace[];
  cgroupsPath: string;
  resources: OciResources;
  sysctl?: Record<string, string>;
  maskedPaths: string[];
  readonlyPaths: string[];
  rootfsPropagation?: OciPropagation;
  seccomp?: OciSeccomp;
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: OciRoot;
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: OciLinux;
}
