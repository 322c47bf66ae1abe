/**
 * `run`/`create` flags and their mapping onto the Engine API's create body (Config +
 * HostConfig + NetworkingConfig), field for field as docker's CLI sends it.
 */
import type { ContainerCreateBody } from '../../api/client/index.js';
import type { FlagSpec, ParsedFlags } from '../flags/flag-set.js';
import { ramInBytes } from '../format/units.js';

const ulimitNames = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** go-units ParseUlimit: `nofile=1024[:2048]`. */
export function parseUlimit(v: string): { Name: string; Hard: number; Soft: number } {
  const eq = v.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  if (!ulimitNames.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = v.slice(eq + 1).split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string) => {
    if (!/^-?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
    return Number(s);
  };
  const soft = num(parts[0]!);
  const hard = parts.length > 1 ? num(parts[1]!) : soft;
  if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

/** NanoCPUs: a decimal number of CPUs → billionths, refusing more precision than that. */
export function parseCpus(v: string): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(v);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`failed to parse ${v} as a rational number`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > 9) throw new Error('value is too precise');
  const n = Number(m[2] || '0') * 1e9 + Number(frac.padEnd(9, '0') || '0');
  return m[1] === '-' ? -n : n;
}

/** ParseRestartPolicy. */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } | Record<string, never> {
  if (policy === '') return {};
  const colon = policy.indexOf(':');
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? '' : policy.slice(colon + 1);
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

function validateAttach(v: string): void {
  if (!['stdin', 'stdout', 'stderr'].includes(v.toLowerCase())) throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

function validateEnv(v: string): void {
  if (v.split('=')[0] === '') throw new Error(`invalid environment variable: ${v}`);
}

function validateLabel(v: string): void {
  if (v.split('=')[0]!.trim() === '') throw new Error(`invalid label '${v}': empty name`);
}

const networkHelp = 'Connect the container to a network: none or host (the bridge network comes in a later release; until then the default is none)';

/** Flags shared by `create` and `run`. */
export const createFlags: FlagSpec[] = [
  { name: 'attach', short: 'a', kind: 'list', usage: 'Attach to STDIN, STDOUT or STDERR', validate: validateAttach },
  { name: 'cap-add', kind: 'list', usage: 'Add Linux capabilities' },
  { name: 'cap-drop', kind: 'list', usage: 'Drop Linux capabilities' },
  { name: 'cidfile', kind: 'string', usage: "Write the container's ID to this file" },
  { name: 'cpu-shares', short: 'c', kind: 'int', usage: 'Relative CPU weight (shares)' },
  { name: 'cpus', kind: 'string', type: 'decimal', usage: 'How many CPUs the container may use', validate: (v) => void parseCpus(v) },
  { name: 'domainname', kind: 'string', usage: 'NIS domain name of the container' },
  { name: 'entrypoint', kind: 'string', usage: "Override the image's ENTRYPOINT (an empty string clears it)" },
  { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables (NAME=value, or NAME to copy it from here)', validate: validateEnv },
  { name: 'env-file', kind: 'list', usage: 'Read environment variables from a file' },
  { name: 'hostname', short: 'h', kind: 'string', usage: 'Host name of the container' },
  { name: 'init', kind: 'bool', usage: 'Run an init process in the container that forwards signals and reaps zombies' },
  { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even when not attached' },
  { name: 'label', short: 'l', kind: 'list', usage: 'Set metadata on the container', validate: validateLabel },
  { name: 'label-file', kind: 'list', usage: 'Read labels from a file of lines' },
  { name: 'memory', short: 'm', kind: 'string', type: 'bytes', usage: 'Memory limit (units b, k, m, g)', validate: (v) => void ramInBytes(v) },
  {
    name: 'memory-swap',
    kind: 'string',
    type: 'bytes',
    usage: "Limit of memory plus swap; '-1' allows unlimited swap",
    validate: (v) => {
      if (v !== '-1') ramInBytes(v);
    },
  },
  { name: 'name', kind: 'string', usage: 'Give the container a name' },
  { name: 'network', kind: 'list', type: 'network', usage: networkHelp },
  { name: 'net', kind: 'list', type: 'network', usage: networkHelp, hidden: true },
  { name: 'pids-limit', kind: 'int', usage: 'Maximum number of processes in the container (-1 for no limit)' },
  { name: 'platform', kind: 'string', usage: 'Platform to use if the daemon serves more than one' },
  { name: 'privileged', kind: 'bool', usage: 'Give the container extended privileges' },
  {
    name: 'pull',
    kind: 'string',
    usage: 'When to pull the image before creating ("always", "missing", "never")',
    default: 'missing',
    validate: (v) => {
      if (!['always', 'missing', 'never'].includes(v)) throw new Error(`invalid pull option: '${v}': must be one of "always", "missing" or "never"`);
    },
  },
  { name: 'quiet', short: 'q', kind: 'bool', usage: 'Do not print pull progress' },
  { name: 'read-only', kind: 'bool', usage: "Mount the container's root filesystem read-only" },
  { name: 'restart', kind: 'string', usage: 'Restart policy when the container exits (no, always, on-failure[:max-retries], unless-stopped)', default: 'no' },
  { name: 'rm', kind: 'bool', usage: 'Remove the container (and its anonymous volumes) when it exits' },
  { name: 'security-opt', kind: 'list', usage: 'Security options (e.g. no-new-privileges[:true|false], seccomp=unconfined)' },
  { name: 'stop-signal', kind: 'string', usage: 'Signal that stops the container' },
  { name: 'stop-timeout', kind: 'int', usage: 'Seconds to wait for the container to stop before killing it' },
  { name: 'tmpfs', kind: 'list', usage: 'Mount a tmpfs at a path (PATH[:OPTIONS])' },
  { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
  { name: 'ulimit', kind: 'list', type: 'ulimit', usage: 'Resource limits (name=soft[:hard])', defaultText: '[]', validate: (v) => void parseUlimit(v) },
  { name: 'user', short: 'u', kind: 'string', usage: 'User name or UID (<name|uid>[:<group|gid>])' },
  { name: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
];

/** Flags only `run` has. */
export const runFlags: FlagSpec[] = [
  ...createFlags,
  { name: 'detach', short: 'd', kind: 'bool', usage: 'Run the container in the background and print its ID' },
  { name: 'detach-keys', kind: 'string', usage: 'Key sequence that detaches from the container' },
  { name: 'sig-proxy', kind: 'bool', usage: 'Forward received signals to the process', default: true },
];

export interface CreateInputs {
  readonly flags: ParsedFlags;
  /** The image and the command after it. */
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readFile(path: string): Promise<Buffer>;
  /** [height, width] of the local terminal, or [0, 0]. */
  readonly consoleSize: readonly [number, number];
}

export interface CreatePlan {
  readonly image: string;
  readonly name: string;
  readonly platform: string;
  readonly pull: 'always' | 'missing' | 'never';
  readonly body: ContainerCreateBody;
}

/** Go's error text for a failed open: `open PATH: no such file or directory`. */
export function openError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
  return new Error(`open ${path}: ${why}`);
}

/** Reads an env or label file as docker does (comments, BOM, pass-through names). */
export async function readKeyValueFile(path: string, readFile: (p: string) => Promise<Buffer>, lookup: ((name: string) => string | undefined) | null): Promise<string[]> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw openError(path, err);
  }
  const out: string[] = [];
  let start = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lineNo = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    const bytes = buf.subarray(start, end);
    start = end + 1;
    lineNo++;
    let raw: string;
    try {
      raw = decoder.decode(bytes);
    } catch {
      throw new Error(`env file ${path} contains invalid utf8 bytes at line ${lineNo}: [${[...bytes].join(' ')}]`);
    }
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const variable = (eq < 0 ? line : line.slice(0, eq)).replace(/^[ \t\n\v\f\r]+/, '');
    if (/[ \t\n\v\f\r]/.test(variable)) throw new Error(`poorly formatted environment: variable '${variable}' contains whitespaces`);
    if (variable === '') throw new Error(`poorly formatted environment: no variable name on line '${line}'`);
    if (eq >= 0) out.push(`${variable}=${line.slice(eq + 1)}`);
    else if (lookup) {
      const v = lookup(line);
      if (v !== undefined) out.push(`${variable.trim()}=${v}`);
    }
  }
  return out;
}

/**
 * What docker's CLI sends for --cap-add/--cap-drop: each list upper-cased, `CAP_`-prefixed
 * (except ALL), without duplicates, sorted; an empty list is null. Nothing cancels out here: a
 * name in both lists goes in both, and the daemon lets the add win (so `--cap-drop ALL --cap-add
 * ALL` is every capability, and `--cap-add X --cap-drop X` keeps X).
 */
export function effectiveCaps(add: readonly string[], drop: readonly string[]): [string[] | null, string[] | null] {
  const norm = (list: readonly string[]) => {
    const s = new Set<string>();
    for (const c0 of list) {
      const c = c0.trim().toUpperCase();
      if (c === '') continue;
      s.add(c === 'ALL' || c.startsWith('CAP_') ? c : `CAP_${c}`);
    }
    return s.size ? [...s].sort() : null;
  };
  return [norm(add), norm(drop)];
}

async function securityOpts(opts: readonly string[], readFile: (p: string) => Promise<Buffer>): Promise<string[] | null> {
  if (opts.length === 0) return null;
  const out: string[] = [];
  for (const opt of opts) {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const k = sep < 0 ? opt : opt.slice(0, sep);
    const v = sep < 0 ? '' : opt.slice(sep + 1);
    if ((sep < 0 || v === '') && k !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (k === 'seccomp' && v !== 'unconfined' && v !== 'builtin') {
      let profile: Buffer;
      try {
        profile = await readFile(v);
      } catch (err) {
        throw new Error(`opening seccomp profile (${v}) failed: ${openError(v, err).message}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(profile.toString('utf8'));
      } catch (err) {
        throw new Error(`compacting json for seccomp profile (${v}) failed: ${(err as Error).message}`);
      }
      out.push(`seccomp=${JSON.stringify(json)}`);
      continue;
    }
    out.push(opt);
  }
  return out;
}

function emptyEndpoint(): Record<string, unknown> {
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

const builtinNetworkModes = /^(none|host|default|bridge|container:.*|nat)$/;

/** Builds what `POST /containers/create` gets for these flags; errors carry docker's wording. */
export async function buildCreatePlan(inp: CreateInputs): Promise<CreatePlan> {
  const f = inp.flags;
  const [image, ...cmd] = inp.args as [string, ...string[]];
  const lookup = (name: string) => inp.env[name];

  const attach = f.list('attach').map((s) => s.toLowerCase());
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (f.bool('interactive')) attachStdin = true;
  if (attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }

  const env: string[] = [];
  for (const file of f.list('env-file')) env.push(...(await readKeyValueFile(file, inp.readFile, lookup)));
  for (const e of f.list('env')) {
    if (e.includes('=')) env.push(e);
    else env.push(lookup(e) !== undefined ? `${e}=${lookup(e)}` : e);
  }

  const labelList: string[] = [];
  for (const file of f.list('label-file')) labelList.push(...(await readKeyValueFile(file, inp.readFile, null)));
  labelList.push(...f.list('label'));
  const labels: Record<string, string> = {};
  for (const l of labelList) {
    const eq = l.indexOf('=');
    if (eq < 0) labels[l] = '';
    else labels[l.slice(0, eq)] = l.slice(eq + 1);
  }

  let entrypoint: string[] | null = null;
  if (f.string('entrypoint') !== '') entrypoint = [f.string('entrypoint')];
  else if (f.changed('entrypoint')) entrypoint = [''];

  const restartPolicy = parseRestartPolicy(f.string('restart'));
  const autoRemove = f.bool('rm');
  if (autoRemove && 'Name' in restartPolicy && restartPolicy.Name !== '' && restartPolicy.Name !== 'no') {
    throw new Error('conflicting options: cannot specify both --restart and --rm');
  }

  const tmpfs: Record<string, string> = {};
  for (const t of f.list('tmpfs')) {
    const c = t.indexOf(':');
    if (c < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, c)] = t.slice(c + 1);
  }

  const [capAdd, capDrop] = effectiveCaps(f.list('cap-add'), f.list('cap-drop'));
  const ulimits = f.list('ulimit').map(parseUlimit);
  const networks = [...f.list('network'), ...f.list('net')];
  let networkMode = 'default';
  const endpoints: Record<string, unknown> = {};
  if (networks.length === 0) {
    endpoints.default = emptyEndpoint();
  } else {
    networkMode = networks[0]!;
    const userDefined = networks.filter((n) => !builtinNetworkModes.test(n));
    if (userDefined.length > 0 && userDefined.length !== networks.length) {
      throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
    }
    const seen = new Set<string>();
    networks.forEach((n, i) => {
      if (seen.has(n)) throw new Error(`network "${n}" is specified multiple times`);
      seen.add(n);
      if (i === 0 && networks.length === 1) return;
      endpoints[n] = emptyEndpoint();
    });
  }

  const memorySwap = f.string('memory-swap');
  const tty = f.bool('tty');

  const config: ContainerCreateBody = {
    Hostname: f.string('hostname'),
    Domainname: f.string('domainname'),
    User: f.string('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    Tty: tty,
    OpenStdin: f.bool('interactive'),
    StdinOnce: f.bool('interactive'),
    Env: env.length ? env : null,
    Cmd: cmd.length ? cmd : null,
    Image: image,
    Volumes: {},
    WorkingDir: f.string('workdir'),
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
  };
  if (f.string('stop-signal')) config.StopSignal = f.string('stop-signal');
  if (f.changed('stop-timeout')) config.StopTimeout = f.int('stop-timeout');

  const hostConfig: Record<string, unknown> = {
    Binds: null,
    ContainerIDFile: f.string('cidfile'),
    LogConfig: { Type: '', Config: {} },
    NetworkMode: networkMode,
    PortBindings: {},
    RestartPolicy: restartPolicy,
    AutoRemove: autoRemove,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: tty ? [...inp.consoleSize] : [0, 0],
    CapAdd: capAdd,
    CapDrop: capDrop,
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: f.bool('privileged'),
    PublishAllPorts: false,
    ReadonlyRootfs: f.bool('read-only'),
    SecurityOpt: await securityOpts(f.list('security-opt'), inp.readFile),
    ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 0,
    Isolation: '',
    CpuShares: f.int('cpu-shares'),
    Memory: f.string('memory') ? ramInBytes(f.string('memory')) : 0,
    NanoCpus: f.string('cpus') ? parseCpus(f.string('cpus')) : 0,
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
    MemorySwap: memorySwap === '-1' ? -1 : memorySwap ? ramInBytes(memorySwap) : 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: f.int('pids-limit'),
    Ulimits: ulimits,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...(f.changed('init') ? { Init: f.bool('init') } : {}),
  };

  return {
    image,
    name: f.string('name'),
    platform: f.string('platform'),
    pull: f.string('pull') as CreatePlan['pull'],
    body: { ...config, HostConfig: hostConfig, NetworkingConfig: { EndpointsConfig: endpoints } },
  };
}
