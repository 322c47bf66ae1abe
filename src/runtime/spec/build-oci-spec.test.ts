import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../util/errors.js';
import { buildOciSpec, defaultMaskedPaths, defaultReadonlyPaths, type OciSpecInput } from './build-oci-spec.js';
import { defaultCapabilities } from './capabilities.js';
import { defaultDeviceRules } from './resources.js';
import { RLIM_INFINITY } from './oci-types.js';

function input(over: Partial<OciSpecInput> = {}): OciSpecInput {
  return {
    rootfs: '/var/lib/berth/containers/abc/rootfs',
    readonlyRootfs: false,
    process: {
      args: ['sh', '-c', 'true'],
      env: ['PATH=/bin', 'HOSTNAME=abc'],
      cwd: '/',
      terminal: false,
      user: { uid: 0, gid: 0, additionalGids: [0, 10] },
      noNewPrivileges: false,
      capabilities: defaultCapabilities,
    },
    hostname: 'abc',
    namespaces: { network: { mode: 'private' } },
    cgroupVersion: 1,
    cgroupsPath: '/berth/abc',
    hostNofileHardLimit: 20000,
    ...over,
  };
}

function withProcess(over: Partial<OciSpecInput['process']>): OciSpecInput {
  const base = input();
  return { ...base, process: { ...base.process, ...over } };
}

test('a default container: Docker defaults everywhere', () => {
  const s = buildOciSpec(input());
  assert.equal(s.ociVersion, '1.0.2');
  assert.deepEqual(s.root, { path: '/var/lib/berth/containers/abc/rootfs', readonly: false });
  assert.equal(s.hostname, 'abc');
  assert.deepEqual(s.process.args, ['sh', '-c', 'true']);
  assert.deepEqual(s.process.env, ['PATH=/bin', 'HOSTNAME=abc']);
  assert.equal(s.process.cwd, '/');
  assert.equal(s.process.terminal, false);
  assert.deepEqual(s.process.user, { uid: 0, gid: 0, additionalGids: [0, 10] });
  assert.equal(s.process.noNewPrivileges, undefined);
  assert.equal(s.process.apparmorProfile, undefined);
  assert.equal(s.process.oomScoreAdj, undefined);
  assert.equal(s.process.consoleSize, undefined);
  assert.deepEqual(s.process.capabilities, {
    bounding: [...defaultCapabilities],
    effective: [...defaultCapabilities],
    inheritable: [],
    permitted: [...defaultCapabilities],
    ambient: [],
  });
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
  assert.equal(s.linux.cgroupsPath, '/berth/abc');
  assert.deepEqual(s.linux.resources, { devices: defaultDeviceRules() });
  assert.deepEqual(s.linux.maskedPaths, [...defaultMaskedPaths]);
  assert.deepEqual(s.linux.readonlyPaths, [...defaultReadonlyPaths]);
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' });
  assert.equal(s.linux.rootfsPropagation, undefined);
  assert.equal(s.linux.seccomp, undefined);
  assert.equal(s.annotations, undefined);
  assert.equal(s.mounts.length, 7);
  assert.ok(!('domainname' in s));
});

test("Docker's masked and read-only paths", () => {
  for (const p of ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap']) {
    assert.ok(defaultMaskedPaths.includes(p), p);
  }
  assert.deepEqual(defaultReadonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  const s = buildOciSpec(input({ maskedPaths: [...defaultMaskedPaths, '/sys/devices/system/cpu/cpu0/thermal_throttle'], readonlyPaths: [] }));
  assert.equal(s.linux.maskedPaths.at(-1), '/sys/devices/system/cpu/cpu0/thermal_throttle');
  assert.deepEqual(s.linux.readonlyPaths, []);
});

test('the cgroup namespace is private on cgroup v2 only, unless asked', () => {
  const types = (i: OciSpecInput): string[] => buildOciSpec(i).linux.namespaces.map((n) => n.type);
  assert.ok(!types(input({ cgroupVersion: 1 })).includes('cgroup'));
  assert.equal(types(input({ cgroupVersion: 2 })).at(-1), 'cgroup');
  assert.ok(!types(input({ cgroupVersion: 2, namespaces: { network: { mode: 'private' }, cgroup: 'host' } })).includes('cgroup'));
  assert.ok(types(input({ cgroupVersion: 1, namespaces: { network: { mode: 'private' }, cgroup: 'private' } })).includes('cgroup'));
});

test('no user namespace ever', () => {
  assert.ok(!buildOciSpec(input({ cgroupVersion: 2 })).linux.namespaces.some((n) => n.type === 'user'));
});

test('host network: no network namespace, no network sysctls, net.* refused', () => {
  const s = buildOciSpec(input({ namespaces: { network: { mode: 'host' } } }));
  assert.deepEqual(s.linux.namespaces.map((n) => n.type), ['mount', 'uts', 'pid', 'ipc']);
  assert.equal(s.linux.sysctl, undefined);
  assert.throws(
    () => buildOciSpec(input({ namespaces: { network: { mode: 'host' } }, sysctls: { 'net.core.somaxconn': '1' } })),
    /sysctl "net.core.somaxconn" is not allowed in the hosts network namespace/,
  );
});

test('joining a network namespace by path; default sysctls only when it is the container\'s own', () => {
  const joined = buildOciSpec(input({ namespaces: { network: { mode: 'path', path: '/proc/42/ns/net' } } }));
  assert.deepEqual(joined.linux.namespaces[1], { type: 'network', path: '/proc/42/ns/net' });
  assert.equal(joined.linux.sysctl, undefined);
  const own = buildOciSpec(input({ namespaces: { network: { mode: 'path', path: '/run/berth/netns/abc', ownNamespace: true } } }));
  assert.equal(own.linux.sysctl!['net.ipv4.ip_unprivileged_port_start'], '0');
  assert.throws(() => buildOciSpec(input({ namespaces: { network: { mode: 'path', path: 'rel' } } })), InvalidArgumentError);
});

test('network sysctl defaults can be turned off; user sysctls override them', () => {
  assert.equal(buildOciSpec(input({ networkSysctlDefaults: false })).linux.sysctl, undefined);
  const s = buildOciSpec(input({ sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'kernel.shmmax': '1000' } }));
  assert.deepEqual(s.linux.sysctl, {
    'net.ipv4.ping_group_range': '0 2147483647',
    'net.ipv4.ip_unprivileged_port_start': '1024',
    'kernel.shmmax': '1000',
  });
  assert.throws(() => buildOciSpec(input({ sysctls: { 'vm.swappiness': '1' } })), /"vm.swappiness" is not in a separate kernel namespace/);
});

test('pid, ipc and uts host modes drop their namespaces; uts host also drops the hostname', () => {
  const s = buildOciSpec(input({ namespaces: { network: { mode: 'private' }, pid: { mode: 'host' }, ipc: { mode: 'host' }, uts: { mode: 'host' } } }));
  assert.deepEqual(s.linux.namespaces.map((n) => n.type), ['mount', 'network']);
  assert.equal(s.hostname, undefined);
  assert.throws(
    () => buildOciSpec(input({ namespaces: { network: { mode: 'private' }, ipc: { mode: 'host' } }, sysctls: { 'kernel.sem': '1 2 3 4' } })),
    /hosts ipc namespace/,
  );
});

test('namespaces can be joined by path', () => {
  const s = buildOciSpec(input({ namespaces: { network: { mode: 'private' }, pid: { mode: 'path', path: '/proc/7/ns/pid' }, ipc: { mode: 'path', path: '/proc/7/ns/ipc' } } }));
  assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'pid'), { type: 'pid', path: '/proc/7/ns/pid' });
  assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'ipc'), { type: 'ipc', path: '/proc/7/ns/ipc' });
});

test('ipc none keeps a private IPC namespace without /dev/shm', () => {
  const s = buildOciSpec(input({ namespaces: { network: { mode: 'private' }, ipc: { mode: 'none' } } }));
  assert.ok(s.linux.namespaces.some((n) => n.type === 'ipc'));
  assert.ok(!s.mounts.some((m) => m.destination === '/dev/shm'));
});

test('domainname becomes the kernel.domainname sysctl; refused with the host UTS namespace', () => {
  assert.equal(buildOciSpec(input({ domainname: 'example.org' })).linux.sysctl!['kernel.domainname'], 'example.org');
  assert.throws(
    () => buildOciSpec(input({ domainname: 'example.org', namespaces: { network: { mode: 'private' }, uts: { mode: 'host' } } })),
    /"kernel.domainname" is not in a separate kernel namespace/,
  );
});

test('init prefixes the args and mounts the binary, with a private PID namespace only', () => {
  const s = buildOciSpec(input({ init: { hostPath: '/usr/bin/tini-static' } }));
  assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh', '-c', 'true']);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/sbin/docker-init'), {
    destination: '/sbin/docker-init',
    type: 'bind',
    source: '/usr/bin/tini-static',
    options: ['bind', 'ro'],
  });
  const hostPid = buildOciSpec(input({ init: { hostPath: '/usr/bin/tini-static' }, namespaces: { network: { mode: 'private' }, pid: { mode: 'host' } } }));
  assert.deepEqual(hostPid.process.args, ['sh', '-c', 'true']);
  assert.ok(!hostPid.mounts.some((m) => m.destination === '/sbin/docker-init'));
});

test('terminal, console size, no-new-privileges and oom score', () => {
  const s = buildOciSpec(withProcess({ terminal: true, consoleSize: { height: 40, width: 120 }, noNewPrivileges: true, oomScoreAdj: 500 }));
  assert.equal(s.process.terminal, true);
  assert.deepEqual(s.process.consoleSize, { height: 40, width: 120 });
  assert.equal(s.process.noNewPrivileges, true);
  assert.equal(s.process.oomScoreAdj, 500);
  assert.equal(buildOciSpec(withProcess({ consoleSize: { height: 40, width: 120 } })).process.consoleSize, undefined);
  assert.equal(buildOciSpec(withProcess({ terminal: true, consoleSize: { height: 0, width: 0 } })).process.consoleSize, undefined);
  assert.equal(buildOciSpec(withProcess({ oomScoreAdj: 0 })).process.oomScoreAdj, 0);
  assert.throws(() => buildOciSpec(withProcess({ oomScoreAdj: 1001 })), /range for oom score adj is \[-1000, 1000\]/);
});

test('process validation', () => {
  assert.throws(() => buildOciSpec(withProcess({ args: [] })), /no command specified/);
  assert.throws(() => buildOciSpec(withProcess({ cwd: 'srv' })), /needs to be an absolute path/);
  assert.throws(() => buildOciSpec(withProcess({ capabilities: ['NET_ADMIN'] })), /unknown capability: "NET_ADMIN"/);
  assert.throws(() => buildOciSpec(withProcess({ user: { uid: -1, gid: 0, additionalGids: [] } })), InvalidArgumentError);
  assert.throws(() => buildOciSpec(input({ rootfs: 'rootfs' })), /rootfs path must be absolute/);
  assert.throws(() => buildOciSpec(input({ cgroupsPath: '' })), InvalidArgumentError);
});

test('capabilities fill bounding, effective and permitted; inheritable and ambient stay empty', () => {
  const s = buildOciSpec(withProcess({ capabilities: ['CAP_KILL'], user: { uid: 1000, gid: 1000, additionalGids: [1000] } }));
  assert.deepEqual(s.process.capabilities, { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], inheritable: [], permitted: ['CAP_KILL'], ambient: [] });
});

test('read-only rootfs: root readonly and default mounts read-only; a tmpfs and binds keep their mode', () => {
  const s = buildOciSpec(input({
    readonlyRootfs: true,
    binds: [{ source: '/var/lib/berth/containers/abc/hosts', destination: '/etc/hosts' }],
    tmpfs: [{ destination: '/run', options: ['size=1m'] }],
  }));
  assert.equal(s.root.readonly, true);
  assert.ok(!s.mounts.find((m) => m.destination === '/etc/hosts')!.options.includes('ro'));
  assert.ok(!s.mounts.find((m) => m.destination === '/run')!.options.includes('ro'));
  assert.ok(!s.mounts.find((m) => m.destination === '/dev/shm')!.options.includes('ro'));
});

test('shared or slave binds set the rootfs propagation as Docker does', () => {
  const prop = (p: 'rprivate' | 'rshared' | 'slave' | 'shared' | 'rslave'): string | undefined =>
    buildOciSpec(input({ binds: [{ source: '/a', destination: '/a', propagation: p }] })).linux.rootfsPropagation;
  assert.equal(prop('rprivate'), undefined);
  assert.equal(prop('rshared'), 'shared');
  assert.equal(prop('shared'), 'shared');
  assert.equal(prop('slave'), 'rslave');
  assert.equal(prop('rslave'), 'rslave');
  const both = buildOciSpec(input({
    binds: [{ source: '/a', destination: '/a', propagation: 'rslave' }, { source: '/b', destination: '/b', propagation: 'rshared' }],
  }));
  assert.equal(both.linux.rootfsPropagation, 'shared');
});

test('resources, shm size, ulimits, seccomp and annotations flow into the spec', () => {
  const seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] };
  const s = buildOciSpec(input({
    resources: { memory: 64 * 1024 * 1024, pidsLimit: 50, nanoCpus: 5e8 },
    shmSize: 1024 * 1024,
    ulimits: [{ name: 'nofile', soft: 512, hard: 1024 }, { name: 'core', soft: -1, hard: -1 }],
    seccomp,
    annotations: { 'org.opencontainers.image.title': 'x' },
  }));
  assert.deepEqual(s.linux.resources.memory, { limit: 64 * 1024 * 1024, swap: 128 * 1024 * 1024 });
  assert.deepEqual(s.linux.resources.pids, { limit: 50 });
  assert.deepEqual(s.linux.resources.cpu, { period: 100000, quota: 50000 });
  assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')!.options.includes('size=1048576'));
  assert.deepEqual(s.process.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 },
    { type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY },
  ]);
  assert.equal(s.linux.seccomp, seccomp);
  assert.deepEqual(s.annotations, { 'org.opencontainers.image.title': 'x' });
  assert.equal(buildOciSpec(input({ annotations: {} })).annotations, undefined);
});

test('ulimits above the host nofile limit are refused unless clamping is asked for', () => {
  const ulimits = [{ name: 'nofile', soft: 65536, hard: 65536 }];
  assert.throws(() => buildOciSpec(input({ ulimits })), InvalidArgumentError);
  assert.deepEqual(buildOciSpec(input({ ulimits, ulimitsOverHostLimit: 'clamp' })).process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
});

test('the input is not shared with the output', () => {
  const i = input({ binds: [{ source: '/a', destination: '/a' }] });
  const s = buildOciSpec(i);
  s.process.args.push('x');
  s.process.env.push('Y=1');
  s.process.capabilities.bounding.push('CAP_SYS_ADMIN');
  s.process.user.additionalGids!.push(99);
  assert.deepEqual(i.process.args, ['sh', '-c', 'true']);
  assert.equal(i.process.env.length, 2);
  assert.equal(i.process.capabilities.length, 14);
  assert.deepEqual(i.process.user.additionalGids, [0, 10]);
  assert.equal(s.process.capabilities.effective.length, 14);
});

test('cgroup v2: the same resources (runc writes memory.max, cpu.max, pids.max from them), a private cgroup namespace and the /sys/fs/cgroup mount', () => {
  const resources = { memory: 64 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 20 };
  const v1 = buildOciSpec(input({ cgroupVersion: 1, resources }));
  const v2 = buildOciSpec(input({ cgroupVersion: 2, resources }));
  assert.deepEqual(v2.linux.resources, v1.linux.resources);
  assert.deepEqual(v2.linux.resources.memory, { limit: 64 * 1024 * 1024, swap: 128 * 1024 * 1024 });
  assert.deepEqual(v2.linux.resources.cpu, { period: 100000, quota: 50000 });
  assert.deepEqual(v2.linux.resources.pids, { limit: 20 });
  assert.equal(v2.linux.cgroupsPath, '/berth/abc');
  assert.deepEqual(v2.linux.namespaces.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup']);
  assert.deepEqual(
    v2.mounts.find((m) => m.destination === '/sys/fs/cgroup'),
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
  );
});
