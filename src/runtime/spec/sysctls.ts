/**
 * Kernel parameters a container may set (`--sysctl`): only those that live in a namespace the
 * container owns, checked with the rules and wording runc applies when Docker hands them over.
 */
import { InvalidArgumentError } from '../../util/errors.js';

/** IPC-namespaced sysctls besides the `fs.mqueue.*` family. */
const ipcSysctls = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/**
 * The network sysctls Docker sets in every network namespace it creates for a container: ping
 * without CAP_NET_RAW, and binding ports below 1024 without CAP_NET_BIND_SERVICE. A user's
 * value for the same key wins.
 */
export const defaultNetworkSysctls: Readonly<Record<string, string>> = {
  'net.ipv4.ping_group_range': '0 2147483647',
  'net.ipv4.ip_unprivileged_port_start': '0',
};

export interface SysctlNamespaces {
  /** The container has its own network namespace (created or joined, not the host's). */
  readonly network: boolean;
  readonly ipc: boolean;
  readonly uts: boolean;
}

/**
 * Throws InvalidArgumentError for a sysctl the container may not set:
 * - kernel.msg*, kernel.sem, kernel.shm* (the IPC ones) and fs.mqueue.* need a private IPC namespace;
 * - net.* needs a network namespace other than the host's;
 * - kernel.domainname needs a private UTS namespace; kernel.hostname is refused (the spec's
 *   hostname field sets it);
 * - anything else is global to the host and refused.
 * Names may use `/` instead of `.` as separator, as sysctl(8) allows; they are normalized.
 */
export function validateSysctls(sysctls: Readonly<Record<string, string>>, ns: SysctlNamespaces): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawKey, value] of Object.entries(sysctls)) {
    const key = rawKey.replaceAll('/', '.');
    if (key === '' || typeof value !== 'string') throw new InvalidArgumentError(`invalid sysctl "${rawKey}"`);
    if (ipcSysctls.has(key) || key.startsWith('fs.mqueue.')) {
      if (!ns.ipc) throw new InvalidArgumentError(`sysctl "${key}" is not allowed in the hosts ipc namespace`);
    } else if (key.startsWith('net.')) {
      if (!ns.network) throw new InvalidArgumentError(`sysctl "${key}" is not allowed in the hosts network namespace`);
    } else if (key === 'kernel.domainname' && ns.uts) {
      // namespaced, and the runtime spec 1.0.2 has no field for it
    } else if (key === 'kernel.hostname' && ns.uts) {
      throw new InvalidArgumentError(`sysctl "${key}" is not allowed as it conflicts with the OCI "hostname" field`);
    } else {
      throw new InvalidArgumentError(`sysctl "${key}" is not in a separate kernel namespace`);
    }
    out[key] = value;
  }
  return out;
}
