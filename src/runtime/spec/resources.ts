/**
 * cgroup resources (linux.resources) from Docker's HostConfig resource fields, with Docker's
 * derived values (swap = 2 × memory, `--cpus` → CFS quota) and its device rules. Unset fields
 * stay out of the spec, so the runtime leaves those controllers alone.
 */
import { InvalidArgumentError } from '../../util/errors.js';
import type { OciCpu, OciDeviceCgroup, OciMemory, OciResources } from './oci-types.js';

export interface ResourcesInput {
  /** Bytes; 0/undefined = unlimited. */
  readonly memory?: number;
  /** Soft limit in bytes. */
  readonly memoryReservation?: number;
  /**
   * Memory + swap in bytes. Unset or 0 with `memory` set → 2 × memory (Docker's default);
   * -1 → unlimited swap (nothing written). Pass -1 on hosts without swap accounting, as Docker does.
   */
  readonly memorySwap?: number;
  /** 0–100. */
  readonly memorySwappiness?: number;
  readonly oomKillDisable?: boolean;
  /** Relative weight (cpu.shares). */
  readonly cpuShares?: number;
  /** Docker's `--cpus` × 1e9; becomes period 100000 µs and the matching quota. */
  readonly nanoCpus?: number;
  /** CFS period in µs (1000–1000000). */
  readonly cpuPeriod?: number;
  /** CFS quota in µs; -1 = unlimited. */
  readonly cpuQuota?: number;
  /** `0-3,5` */
  readonly cpusetCpus?: string;
  readonly cpusetMems?: string;
  /** Max processes; 0 or negative = unlimited (written as -1); null/undefined = not set. */
  readonly pidsLimit?: number | null;
  /** 10–1000; 0/undefined = not set. */
  readonly blkioWeight?: number;
}

/**
 * Docker's device cgroup rules: deny everything, then allow the character devices every
 * container needs (null, zero, full, random, urandom, tty, console, and the pty devices),
 * and deny /dev/fuse explicitly. Full, pts and ptmx are allowed by the runtime's own defaults.
 */
export function defaultDeviceRules(): OciDeviceCgroup[] {
  const allow = (major: number, minor: number): OciDeviceCgroup => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    allow(1, 5), // /dev/zero
    allow(1, 3), // /dev/null
    allow(1, 9), // /dev/urandom
    allow(1, 8), // /dev/random
    allow(5, 0), // /dev/tty
    allow(5, 1), // /dev/console
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }, // /dev/fuse
  ];
}

const cfsPeriodForCpus = 100_000;

function whole(name: string, v: number | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`invalid ${name}: ${v}`);
  return v;
}

const cpuList = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

function memoryResources(r: ResourcesInput): OciMemory | undefined {
  const memory = whole('memory limit', r.memory, 0) ?? 0;
  const reservation = whole('memory reservation', r.memoryReservation, 0) ?? 0;
  let swap = whole('memory swap limit', r.memorySwap, -1) ?? 0;
  if (memory > 0 && swap === 0) swap = memory * 2;
  if (memory === 0 && swap > 0) {
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (memory > 0 && swap > 0 && swap < memory) {
    throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory > 0 && reservation > memory) {
    throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const out: OciMemory = {};
  if (memory > 0) out.limit = memory;
  if (reservation > 0) out.reservation = reservation;
  if (swap > 0) out.swap = swap;
  if (r.memorySwappiness !== undefined) {
    const s = r.memorySwappiness;
    if (!Number.isSafeInteger(s) || s < 0 || s > 100) {
      throw new InvalidArgumentError(`Invalid value: ${s}, valid memory swappiness range is 0-100`);
    }
    out.swappiness = s;
  }
  if (r.oomKillDisable !== undefined) out.disableOOMKiller = r.oomKillDisable;
  return Object.keys(out).length > 0 ? out : undefined;
}

function cpuResources(r: ResourcesInput): OciCpu | undefined {
  const out: OciCpu = {};
  const shares = whole('CPU shares', r.cpuShares, 0);
  if (shares) out.shares = shares;
  const nano = whole('NanoCPUs', r.nanoCpus, 0) ?? 0;
  const period = whole('CPU period', r.cpuPeriod, 0) ?? 0;
  const quota = whole('CPU quota', r.cpuQuota, -1) ?? 0;
  if (nano > 0 && period > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (quota > 0 && quota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (nano > 0) {
    out.period = cfsPeriodForCpus;
    out.quota = Math.floor((nano * cfsPeriodForCpus) / 1e9);
  }
  if (period !== 0) out.period = period;
  if (quota !== 0) out.quota = quota;
  for (const [field, value] of [['cpus', r.cpusetCpus], ['mems', r.cpusetMems]] as const) {
    if (value === undefined || value === '') continue;
    if (!cpuList.test(value)) throw new InvalidArgumentError(`Invalid value ${value} for cpuset ${field}`);
    out[field] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** linux.resources: the device rules always, the rest only where set. */
export function buildResources(r: ResourcesInput = {}): OciResources {
  const out: OciResources = { devices: defaultDeviceRules() };
  const memory = memoryResources(r);
  if (memory) out.memory = memory;
  const cpu = cpuResources(r);
  if (cpu) out.cpu = cpu;
  if (r.pidsLimit !== undefined && r.pidsLimit !== null) {
    const p = r.pidsLimit;
    if (!Number.isSafeInteger(p)) throw new InvalidArgumentError(`invalid PIDs limit: ${p}`);
    out.pids = { limit: p > 0 ? p : -1 };
  }
  const weight = whole('blkio weight', r.blkioWeight, 0) ?? 0;
  if (weight !== 0) {
    if (weight < 10 || weight > 1000) throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
    out.blockIO = { weight };
  }
  return out;
}
