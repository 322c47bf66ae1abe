/**
 * Linux capabilities as Docker grants them: a fixed default set, tweaked by `--cap-add` and
 * `--cap-drop` (names with or without `CAP_`, any case, or `ALL`), or every available capability
 * for a privileged container.
 */
import { InvalidArgumentError } from '../../util/errors.js';

/** Every capability the kernel defines, indexed by its bit number (linux/capability.h). */
export const knownCapabilities: readonly string[] = [
  'CAP_CHOWN', // 0
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL', // 5
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', // 10
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', // 15
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', // 20
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', // 25
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', // 30
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM', // 35
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE', // 40
];

/** What a non-privileged Docker container gets, in Docker's order. */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const knownSet = new Set(knownCapabilities);

export function isKnownCapability(name: string): boolean {
  return knownSet.has(name);
}

/**
 * Upper-cases names and adds the `CAP_` prefix; `ALL` stays `ALL`. Unknown names, and known ones
 * the host cannot grant (`available`), are InvalidArgumentErrors with Docker's wording.
 */
export function normalizeCapabilities(names: readonly string[], available?: readonly string[]): string[] {
  const availableSet = available ? new Set(available) : null;
  return names.map((raw) => {
    const upper = raw.toUpperCase();
    if (upper === 'ALL') return upper;
    const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!knownSet.has(name)) throw new InvalidArgumentError(`unknown capability: "${name}"`);
    if (availableSet && !availableSet.has(name)) {
      throw new InvalidArgumentError(`capability not supported by your kernel or not available in the current environment: "${name}"`);
    }
    return name;
  });
}

export interface CapabilityRequest {
  readonly capAdd?: readonly string[] | null;
  readonly capDrop?: readonly string[] | null;
  readonly privileged?: boolean;
  /**
   * The capabilities the daemon itself holds (see `capabilitiesFromMask` over CapBnd in
   * /proc/self/status); `ALL` and privileged mean these. Defaults to every known capability.
   */
  readonly available?: readonly string[];
}

/**
 * The final capability set, as Docker computes it:
 * - privileged → every available capability;
 * - `ALL` in capAdd → every available capability except those in capDrop;
 * - `ALL` in capDrop (and not in capAdd) → exactly capAdd;
 * - otherwise the defaults minus capDrop, then plus capAdd (so adding wins over dropping the
 *   same name).
 * The result has no duplicates; defaults keep Docker's order, added names follow.
 */
export function resolveCapabilities(req: CapabilityRequest): string[] {
  const available = req.available ?? knownCapabilities;
  if (req.privileged) return [...available];
  const adds = req.capAdd ?? [];
  const drops = req.capDrop ?? [];
  if (adds.length === 0 && drops.length === 0) return [...defaultCapabilities];
  const capDrop = normalizeCapabilities(drops, req.available);
  const capAdd = normalizeCapabilities(adds, req.available);
  let caps: string[];
  if (capAdd.includes('ALL')) {
    caps = available.filter((c) => !capDrop.includes(c));
  } else if (capDrop.includes('ALL')) {
    caps = capAdd;
  } else {
    caps = [...defaultCapabilities.filter((c) => !capDrop.includes(c)), ...capAdd];
  }
  return [...new Set(caps)];
}

/** The kernel bit mask of a capability set, as /proc/<pid>/status prints it (CapEff …). */
export function capabilityMask(caps: readonly string[]): bigint {
  let mask = 0n;
  for (const c of caps) {
    const bit = knownCapabilities.indexOf(c);
    if (bit < 0) throw new InvalidArgumentError(`unknown capability: "${c}"`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** The names in a mask; accepts a bigint or the hex text of /proc/<pid>/status. Unknown bits are ignored. */
export function capabilitiesFromMask(mask: bigint | string): string[] {
  const m = typeof mask === 'bigint' ? mask : BigInt(`0x${mask.trim().replace(/^0x/i, '') || '0'}`);
  return knownCapabilities.filter((_, bit) => (m >> BigInt(bit)) & 1n);
}
