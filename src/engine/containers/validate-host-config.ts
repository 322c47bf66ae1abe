/**
 * Checks a create request's HostConfig the way Docker's daemon does before anything is stored,
 * and fills Docker's defaults, so `inspect` shows what will actually run.
 */
import { isIP } from 'node:net';
import { cpus } from 'node:os';
import { InvalidArgumentError, NotImplementedError } from '../../util/errors.js';
import { defaultShmSize } from '../../runtime/spec/index.js';
import { validateRestartPolicy } from '../restart-policy.js';
import type { HostConfig } from '../docker-types.js';

const minMemory = 6 * 1024 * 1024;

/**
 * Network modes Berth has today; `default` means `none` until the bridge network exists. An
 * unknown network is a bad parameter of the create request (400), not a 404: clients read a 404
 * from create as a missing image and would try to pull it.
 */
export function normalizeNetworkMode(mode: string | undefined): 'none' | 'host' {
  const m = mode ?? '';
  if (m === '' || m === 'default' || m === 'none') return 'none';
  if (m === 'host') return 'host';
  if (m === 'bridge') throw new InvalidArgumentError('network bridge not found: Berth has no bridge network yet; use --network none or host');
  if (m.startsWith('container:')) throw new NotImplementedError('network mode container:<name> is not supported yet');
  throw new InvalidArgumentError(`network ${m} not found`);
}

export function validateHostConfig(input: HostConfig | undefined): HostConfig {
  const hc: HostConfig = { ...(input ?? {}) };
  hc.NetworkMode = normalizeNetworkMode(hc.NetworkMode);
  hc.RestartPolicy = validateRestartPolicy(hc.RestartPolicy);
  if (hc.AutoRemove && hc.RestartPolicy.Name !== '' && hc.RestartPolicy.Name !== 'no') {
    throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
  }
  if (hc.Memory !== undefined && hc.Memory !== 0 && hc.Memory < minMemory) {
    throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  }
  if (hc.Memory && hc.MemorySwap && hc.MemorySwap > 0 && hc.MemorySwap < hc.Memory) {
    throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (!hc.Memory && hc.MemorySwap && hc.MemorySwap > 0) {
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (hc.MemoryReservation && hc.Memory && hc.MemoryReservation > hc.Memory) {
    throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (hc.NanoCpus) {
    if (hc.CpuQuota || hc.CpuPeriod) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    const n = cpus().length;
    if (hc.NanoCpus < 0 || hc.NanoCpus > n * 1e9) {
      throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`);
    }
  }
  if (hc.CpuShares !== undefined && hc.CpuShares < 0) throw new InvalidArgumentError('invalid CPU shares: must be positive');
  if (hc.ShmSize !== undefined && hc.ShmSize < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  if (hc.OomScoreAdj !== undefined && (hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000)) {
    throw new InvalidArgumentError(`Invalid value ${hc.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  for (const mode of ['PidMode', 'IpcMode', 'UTSMode'] as const) {
    const v = hc[mode];
    if (v && v !== 'host' && v !== 'private' && v !== 'shareable' && v !== '') {
      throw new NotImplementedError(`${mode} ${v} is not supported yet`);
    }
  }
  if (hc.UsernsMode) throw new NotImplementedError('user namespaces (--userns) are not supported yet');
  if (hc.Privileged) throw new NotImplementedError('privileged containers are not supported yet');
  if (hc.VolumesFrom?.length) throw new NotImplementedError('--volumes-from is not supported yet');
  if (hc.Links?.length) throw new NotImplementedError('legacy links are not supported');
  if (hc.PortBindings && Object.values(hc.PortBindings).some((b) => b && b.length)) {
    throw new NotImplementedError('publishing ports needs the bridge network, which Berth does not have yet');
  }
  if (hc.Devices?.length) throw new NotImplementedError('--device is not supported yet');
  for (const b of hc.Binds ?? []) validateBind(b);
  for (const m of hc.Mounts ?? []) {
    if (m.Type !== 'bind' && m.Type !== 'tmpfs') throw new NotImplementedError(`mount type "${m.Type}" is not supported yet`);
    if (!m.Target?.startsWith('/')) throw new InvalidArgumentError(`invalid mount config for type "${m.Type}": invalid mount path: '${m.Target ?? ''}' mount path must be absolute`);
    if (m.Type === 'bind' && !m.Source?.startsWith('/')) throw new InvalidArgumentError(`invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}' mount path must be absolute`);
  }
  for (const [target] of Object.entries(hc.Tmpfs ?? {})) {
    if (!target.startsWith('/')) throw new InvalidArgumentError(`invalid mount path: '${target}' mount path must be absolute`);
  }
  for (const h of hc.ExtraHosts ?? []) validateExtraHost(h);
  for (const ip of hc.Dns ?? []) {
    if (!isIP(ip.trim())) throw new InvalidArgumentError(`IP address is not correctly formatted: ${ip}`);
  }
  for (const opt of hc.SecurityOpt ?? []) {
    if (!/^no-new-privileges(?:[:=](?:true|false))?$/.test(opt) && !/^(seccomp|apparmor|label)[:=]/.test(opt)) {
      throw new InvalidArgumentError(`invalid --security-opt 2: "${opt}"`);
    }
    if (/^seccomp[:=](?!unconfined$)/.test(opt)) throw new NotImplementedError('custom seccomp profiles are not supported yet');
  }
  // Docker's create-time defaults, stored so inspect shows what runs.
  if (hc.Memory && !hc.MemorySwap) hc.MemorySwap = hc.Memory * 2;
  if (!hc.ShmSize) hc.ShmSize = defaultShmSize;
  if (!hc.IpcMode) hc.IpcMode = 'private';
  hc.LogConfig = hc.LogConfig?.Type ? hc.LogConfig : { Type: 'k8s-file', Config: {} };
  if (hc.LogConfig.Type !== 'k8s-file' && hc.LogConfig.Type !== 'json-file' && hc.LogConfig.Type !== 'local') {
    throw new NotImplementedError(`logging driver ${hc.LogConfig.Type} is not supported`);
  }
  return hc;
}

/** `host-path:container-path[:opts]`; named volumes need the volume subsystem (a later release). */
export function validateBind(spec: string): { source: string; target: string; readonly: boolean; propagation?: string } {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  const [source, target, opts = ''] = parts as [string, string, string?];
  if (!source.startsWith('/')) throw new NotImplementedError(`named volumes are not supported yet: '${spec}'`);
  if (!target.startsWith('/')) throw new InvalidArgumentError(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${target}' mount path must be absolute`);
  let readonly = false;
  let propagation: string | undefined;
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro') readonly = true;
    else if (o === 'rw') readonly = false;
    else if (/^r?(shared|slave|private)$/.test(o)) propagation = o;
    else if (o === 'z' || o === 'Z' || o === 'nocopy') continue;
    else throw new InvalidArgumentError(`invalid mode: ${o}`);
  }
  return { source, target, readonly, ...(propagation ? { propagation } : {}) };
}

/**
 * `name:ip` (split at the first colon, so IPv6 addresses work), checked as Docker's daemon does
 * at create. `host-gateway` needs a bridge gateway Berth does not have yet: refused here, not
 * written as a bogus line.
 */
export function validateExtraHost(entry: string): { name: string; ip: string } {
  const sep = entry.indexOf(':');
  const name = sep < 0 ? '' : entry.slice(0, sep);
  if (sep < 0 || name === '') throw new InvalidArgumentError(`bad format for add-host: ${JSON.stringify(entry)}`);
  const ip = entry.slice(sep + 1);
  if (ip === 'host-gateway') throw new InvalidArgumentError('unable to derive the IP value for host-gateway: Berth has no bridge network yet');
  if (!isIP(ip.trim())) throw new InvalidArgumentError(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  return { name, ip: ip.trim() };
}
