/**
 * What a container run by berthd is isolated from, observed from inside it and from the host:
 * namespaces, Docker's default capability set and --cap-add/--cap-drop, no-new-privileges,
 * masked and read-only kernel files, the default devices and the device cgroup, and the
 * /etc/hosts, /etc/hostname and /etc/resolv.conf each network mode gets.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/test-daemon.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
});

/** `berth run --rm [flags] busybox sh -c script`, which must succeed; returns its stdout. */
async function inside(script: string, flags: string[] = []): Promise<string> {
  const r = await d.berth(['run', '--rm', ...flags, 'busybox', 'sh', '-c', script]);
  assert.equal(r.code, 0, `run ${flags.join(' ')} sh -c '${script}' failed: ${r.stderr}`);
  return r.stdout;
}

/** `name value` lines printed by the container, as a map. */
function pairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out[line.slice(0, sp)] = line.slice(sp + 1);
  }
  return out;
}

function statusField(status: string, field: string): string {
  const m = new RegExp(`^${field}:\\s*(\\S+)$`, 'm').exec(status);
  assert.ok(m, `${field} in ${status}`);
  return m[1]!;
}

/** Interface names in /proc/net/dev. */
function interfaces(procNetDev: string): string[] {
  return procNetDev
    .split('\n')
    .slice(2)
    .map((l) => /^\s*([^\s:]+):\s*\d/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

const cgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const hostNs = (ns: string) => readlinkSync(`/proc/self/ns/${ns}`);

test('PID 1 is the command, in a PID namespace that shows only the container', async () => {
  const out = await inside('echo "self $$"; echo "cmdline $(tr "\\0" " " < /proc/1/cmdline)"; echo "pids $(ls -d /proc/[0-9]* | wc -l)"; echo "pidns $(readlink /proc/self/ns/pid)"');
  const p = pairs(out);
  assert.equal(p.self, '1');
  assert.match(p.cmdline!, /^sh -c echo "self \$\$";/);
  // sh, and at most the short-lived helpers of the pipeline: never the host's hundreds.
  assert.ok(Number(p.pids) < 10, `processes visible: ${p.pids}`);
  assert.notEqual(p.pidns, hostNs('pid'));
});

test("uts, ipc, mount and network namespaces are the container's own; user (and cgroup on v1) are the host's", async () => {
  const names = ['uts', 'ipc', 'mnt', 'net', 'user', 'cgroup'];
  const seen = pairs(await inside(names.map((n) => `echo "${n} $(readlink /proc/self/ns/${n})"`).join('; ')));
  for (const n of ['uts', 'ipc', 'mnt', 'net']) assert.notEqual(seen[n], hostNs(n), `${n} namespace is private`);
  // Docker makes no user namespace, and a private cgroup namespace only on cgroup v2.
  assert.equal(seen.user, hostNs('user'));
  if (cgroupV2) assert.notEqual(seen.cgroup, hostNs('cgroup'));
  else assert.equal(seen.cgroup, hostNs('cgroup'));
  // Two running containers do not share theirs either (compared while both live: the kernel
  // reuses the numbers of a namespace that is gone).
  const first = (await d.berth(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
  const script = names.map((n) => `echo "${n} $(readlink /proc/1/ns/${n})"`).join('; ');
  const a = pairs((await d.berth(['exec', first, 'sh', '-c', script])).stdout);
  const b = pairs(await inside(script));
  for (const n of ['uts', 'ipc', 'mnt', 'net']) assert.notEqual(a[n], b[n], `${n} differs between containers`);
  assert.ok(a.uts?.startsWith('uts:['));
  assert.equal((await d.berth(['rm', '-f', first])).code, 0);
});

test('the hostname is the 12-character id unless --hostname sets it; host network keeps the host name', async () => {
  const r = await d.berth(['run', '--name', 'hn-default', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname; echo $HOSTNAME']);
  assert.equal(r.code, 0, r.stderr);
  const info = await d.inspect('hn-default');
  const short = (info.Id as string).slice(0, 12);
  assert.equal(r.stdout, `${short}\n${short}\n${short}\n`);
  assert.equal(info.Config.Hostname, short);
  assert.equal(readFileSync(info.HostnamePath, 'utf8'), `${short}\n`);
  assert.equal((await d.berth(['rm', 'hn-default'])).code, 0);

  assert.equal(await inside('hostname; cat /etc/hostname; echo $HOSTNAME', ['--hostname', 'web01']), 'web01\nweb01\nweb01\n');
  assert.equal(await inside('hostname', ['-h', 'db02']), 'db02\n');
  // Setting the name (root with CAP_SYS_ADMIN) inside the container's own UTS namespace leaves the host's alone.
  assert.equal(await inside('hostname changed && hostname', ['--cap-add', 'SYS_ADMIN']), 'changed\n');
  assert.equal(hostHostname(), readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
  assert.notEqual(hostHostname(), 'changed');

  assert.equal(await inside('hostname', ['--network', 'host']), `${hostHostname()}\n`);
});

test('--network none has only lo; host shares the host namespace and its interfaces; bridge is a clear error', async () => {
  const none = await inside('cat /proc/net/dev; echo "netns $(readlink /proc/self/ns/net)"', ['--network', 'none']);
  assert.deepEqual(interfaces(none), ['lo']);
  assert.notEqual(pairs(none).netns, hostNs('net'));
  // No flag means none until Berth has a bridge network.
  assert.deepEqual(interfaces(await inside('cat /proc/net/dev')), ['lo']);

  const host = await inside('cat /proc/net/dev; echo "netns $(readlink /proc/self/ns/net)"', ['--network', 'host']);
  assert.equal(pairs(host).netns, hostNs('net'));
  assert.deepEqual(interfaces(host), interfaces(readFileSync('/proc/net/dev', 'utf8')));
  assert.ok(interfaces(host).length > 1, 'the host has more than lo');

  const bridge = await d.berth(['run', '--rm', '--network', 'bridge', 'busybox', 'true']);
  assert.equal(bridge.code, 125);
  assert.match(bridge.stderr, /network bridge not found/);
  assert.doesNotMatch(bridge.stderr, /Unable to find image/, 'a bad network is not mistaken for a missing image');
  const unknown = await d.berth(['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']);
  assert.equal(unknown.code, 125);
  assert.match(unknown.stderr, /network nosuchnet not found/);
});

/** Docker's default capabilities, by bit: CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7, SETPCAP 8, NET_BIND_SERVICE 10, NET_RAW 13, SYS_CHROOT 18, MKNOD 27, AUDIT_WRITE 29, SETFCAP 31. */
const dockerDefaultCaps = 0x00000000a80425fbn;
const capBits = { CHOWN: 0, NET_BIND_SERVICE: 10, NET_ADMIN: 12, SYS_ADMIN: 21 };
const hex = (mask: bigint) => mask.toString(16).padStart(16, '0');

async function capSets(flags: string[]): Promise<Record<string, string>> {
  const status = await inside('grep -E "^(Cap|NoNewPrivs)" /proc/1/status', flags);
  return Object.fromEntries(['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'].map((f) => [f, statusField(status, f)]));
}

test("Docker's default capability set, exactly", async () => {
  assert.equal(dockerDefaultCaps, [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31].reduce((m, b) => m | (1n << BigInt(b)), 0n));
  const caps = await capSets([]);
  assert.deepEqual(caps, { CapInh: hex(0n), CapPrm: hex(dockerDefaultCaps), CapEff: hex(dockerDefaultCaps), CapBnd: hex(dockerDefaultCaps), CapAmb: hex(0n), NoNewPrivs: '0' });
  // A process of a non-root user gets none in effect, but keeps the same bounding set.
  const nobody = await capSets(['-u', 'nobody']);
  assert.equal(nobody.CapEff, hex(0n));
  assert.equal(nobody.CapBnd, hex(dockerDefaultCaps));
});

test('--cap-drop and --cap-add change the set and what root may do', async () => {
  const noChown = dockerDefaultCaps & ~(1n << BigInt(capBits.CHOWN));
  assert.equal((await capSets(['--cap-drop', 'chown'])).CapEff, hex(noChown));
  assert.equal((await capSets(['--cap-drop', 'CAP_CHOWN'])).CapBnd, hex(noChown));
  const chown = await d.berth(['run', '--rm', '--cap-drop', 'CHOWN', 'busybox', 'chown', 'nobody', '/tmp']);
  assert.equal(chown.code, 1);
  assert.match(chown.stderr, /chown: \/tmp: Operation not permitted/);
  assert.equal((await d.berth(['run', '--rm', 'busybox', 'chown', 'nobody', '/tmp'])).code, 0);

  const netAdmin = dockerDefaultCaps | (1n << BigInt(capBits.NET_ADMIN));
  assert.equal((await capSets(['--cap-add', 'NET_ADMIN'])).CapEff, hex(netAdmin));
  assert.equal(await inside('ip link set lo mtu 1400 && cat /sys/class/net/lo/mtu', ['--cap-add', 'net_admin']), '1400\n');
  const denied = await d.berth(['run', '--rm', 'busybox', 'ip', 'link', 'set', 'lo', 'mtu', '1400']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Operation not permitted/);

  const only = await capSets(['--cap-drop', 'ALL', '--cap-add', 'NET_BIND_SERVICE']);
  assert.deepEqual([only.CapPrm, only.CapEff, only.CapBnd], Array(3).fill(hex(1n << BigInt(capBits.NET_BIND_SERVICE))));
  assert.equal((await capSets(['--cap-drop', 'all'])).CapBnd, hex(0n));
  // Docker's daemon lets an add win over a drop of the same name.
  assert.equal((await capSets(['--cap-add', 'SYS_ADMIN', '--cap-drop', 'SYS_ADMIN'])).CapEff, hex(dockerDefaultCaps | (1n << BigInt(capBits.SYS_ADMIN))));
  // ALL is every capability the daemon holds: here, what this (root) test process holds.
  const hostBnd = statusField(readFileSync('/proc/self/status', 'utf8'), 'CapBnd');
  assert.equal((await capSets(['--cap-add', 'ALL'])).CapEff, hostBnd);
  assert.equal((await capSets(['--cap-drop', 'ALL', '--cap-add', 'ALL'])).CapBnd, hostBnd);

  const bad = await d.berth(['run', '--rm', '--cap-add', 'NOT_A_CAP', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /unknown capability: "CAP_NOT_A_CAP"/);
  assert.deepEqual((await d.api('GET', '/containers/json?all=1')).json, [], 'refused runs leave no container');
});

test('--security-opt no-new-privileges sets NoNewPrivs; the default is off', async () => {
  assert.equal((await capSets([])).NoNewPrivs, '0');
  assert.equal((await capSets(['--security-opt', 'no-new-privileges'])).NoNewPrivs, '1');
  assert.equal((await capSets(['--security-opt', 'no-new-privileges:true'])).NoNewPrivs, '1');
  assert.equal((await capSets(['--security-opt', 'no-new-privileges=false'])).NoNewPrivs, '0');
  const id = await d.create({ Cmd: ['true'], HostConfig: { SecurityOpt: ['no-new-privileges'] } });
  assert.deepEqual((await d.inspect(id)).HostConfig.SecurityOpt, ['no-new-privileges']);
  await d.api('DELETE', `/containers/${id}`);
  const bad = await d.berth(['run', '--rm', '--security-opt', 'bogus', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /Invalid --security-opt: "bogus"/);
});

const dockerMaskedPaths = ['/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware'];
const dockerReadonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

test("Docker's masked and read-only /proc and /sys paths", async () => {
  // The spec asks for all of them; the kernel decides which exist, so what is observed inside is
  // checked for each path this host has.
  const id = (await d.berth(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
  const spec = JSON.parse(readFileSync(join(d.dataRoot, 'containers', id, 'config.json'), 'utf8'));
  assert.deepEqual([...spec.linux.maskedPaths].sort(), [...dockerMaskedPaths].sort());
  assert.deepEqual([...spec.linux.readonlyPaths].sort(), [...dockerReadonlyPaths].sort());
  assert.equal((await d.berth(['rm', '-f', id])).code, 0);

  const present = dockerMaskedPaths.filter((p) => existsSync(p));
  assert.ok(present.length > 0);
  const script = present.map((p) => `if [ -d ${p} ]; then echo "${p} entries $(ls -A ${p} | wc -l)"; else echo "${p} bytes $(cat ${p} | wc -c)"; fi`).join('; ');
  const [values, mountinfo] = (await inside(`${script}; echo ---; cut -d" " -f5 /proc/self/mountinfo`)).split('---\n') as [string, string];
  const masked = pairs(values);
  const mountPoints = mountinfo.trim().split('\n');
  for (const p of present) {
    assert.match(masked[p] ?? '', /^(entries|bytes) 0$/, `${p} reads empty: ${masked[p]}`);
    // Empty because something is mounted over it (a file over /dev/null, a directory under an empty tmpfs).
    assert.ok(mountPoints.includes(p), `${p} is a mount point`);
  }
  // Files the host fills are empty inside only because of the mask.
  for (const p of ['/proc/interrupts', '/proc/timer_list'].filter((x) => present.includes(x))) assert.ok(readFileSync(p).length > 0 && !statSync(p).isDirectory());

  const writes = dockerReadonlyPaths
    .filter((p) => existsSync(p))
    .map((p) => `if echo 1 > ${p === '/proc/sys' ? '/proc/sys/kernel/hostname' : p} 2>/dev/null; then echo "${p} written"; else echo "${p} refused"; fi`);
  const ro = await inside(`${writes.join('; ')}; grep -E " /proc/(bus|fs|irq|sys|sysrq-trigger) " /proc/mounts; grep " /sys " /proc/mounts`);
  for (const p of dockerReadonlyPaths.filter((x) => existsSync(x))) assert.match(ro, new RegExp(`^${p} refused$`, 'm'));
  for (const p of ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys']) assert.match(ro, new RegExp(`^proc ${p} proc ro,`, 'm'));
  assert.match(ro, /^sysfs \/sys sysfs ro,nosuid,nodev,noexec/m);
  assert.match(await inside('touch /sys/kernel/x 2>&1 || true'), /Read-only file system/);
});

test("/dev holds Docker's default devices only, /dev/console with -t, and a 64M /dev/shm", async () => {
  const out = await inside('ls -A /dev; echo ---; for n in null zero full random urandom tty; do echo "$n $(stat -c "%F %t:%T" /dev/$n)"; done; echo ---; grep -E " /dev(/shm|/pts|/mqueue)? " /proc/mounts');
  const [list, types, mounts] = out.split('---\n') as [string, string, string];
  assert.deepEqual(list.trim().split('\n').sort(), ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
  assert.deepEqual(pairs(types), {
    null: 'character special file 1:3',
    zero: 'character special file 1:5',
    full: 'character special file 1:7',
    random: 'character special file 1:8',
    urandom: 'character special file 1:9',
    tty: 'character special file 5:0',
  });
  assert.match(mounts, /^shm \/dev\/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k/m);
  assert.match(mounts, /^devpts \/dev\/pts devpts rw,nosuid,noexec,/m);
  assert.match(mounts, /^mqueue \/dev\/mqueue mqueue rw,nosuid,nodev,noexec/m);
  assert.match(mounts, /^tmpfs \/dev tmpfs rw,nosuid,size=65536k,mode=755/m);
  assert.equal(await inside('df -k /dev/shm | tail -1 | awk "{print \\$2}"'), '65536\n');
  assert.equal(await inside('echo data > /dev/shm/f && cat /dev/shm/f'), 'data\n');

  const tty = await d.berth(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'ls -A /dev | tr "\\n" " "']);
  assert.equal(tty.code, 0, tty.stderr);
  assert.deepEqual(tty.stdout.trim().split(' ').sort(), ['console', 'fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
});

test('the device cgroup refuses host devices a container makes with mknod', async () => {
  // CAP_MKNOD is a default capability, so making the node works; opening it must not.
  const [major, minor] = readdirSync('/sys/dev/block')[0]!.split(':');
  const out = await inside(`mknod /tmp/blk b ${major} ${minor} && echo made; head -c 1 /tmp/blk 2>&1; mknod /tmp/kmsg c 1 11 && head -c 1 /tmp/kmsg 2>&1; echo x > /dev/null && echo null-ok; true`);
  assert.match(out, /^made$/m);
  assert.match(out, /head: \/tmp\/blk: Operation not permitted/);
  assert.match(out, /head: \/tmp\/kmsg: Operation not permitted/);
  assert.match(out, /^null-ok$/m);
});

const localhostLines = [/^127\.0\.0\.1\tlocalhost$/, /^::1\tlocalhost ip6-localhost ip6-loopback$/, /^fe00::0?\tip6-localnet$/, /^ff00::0?\tip6-mcastprefix$/, /^ff02::1\tip6-allnodes$/, /^ff02::2\tip6-allrouters$/];

/** What Docker writes for a network without its own resolver: the host's nameservers minus loopback and IPv6 ones, or Google's. */
function expectedLegacyNameservers(hostResolv: string): string[] {
  const ns = [...hostResolv.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!).filter((ip) => !ip.startsWith('127.') && !ip.includes(':'));
  return ns.length ? ns : ['8.8.8.8', '8.8.4.4'];
}
const nameservers = (resolv: string) => [...resolv.matchAll(/^nameserver\s+(\S+)$/gm)].map((m) => m[1]!);

test('/etc/hosts, /etc/hostname and /etc/resolv.conf for --network none', async () => {
  const out = await inside('cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; grep -E " /etc/(hosts|hostname|resolv.conf) " /proc/mounts', ['--hostname', 'box']);
  const [hosts, resolv, mounts] = out.split('---\n') as [string, string, string];
  const lines = hosts.trim().split('\n');
  assert.equal(lines.length, localhostLines.length, hosts);
  lines.forEach((l, i) => assert.match(l, localhostLines[i]!));
  // Without an address on any interface Docker writes no line for the container's own name.
  assert.doesNotMatch(hosts, /\bbox\b/);
  assert.deepEqual(nameservers(resolv), expectedLegacyNameservers(readFileSync('/etc/resolv.conf', 'utf8')));
  // Each file is the container's own bind mount, writable unless --read-only.
  for (const f of ['hosts', 'hostname', 'resolv.conf']) assert.match(mounts, new RegExp(` /etc/${f.replace('.', '\\.')} \\S+ rw,`));
});

test('--network host shares the host /etc/hosts and resolv.conf', async () => {
  const out = await inside('cat /etc/hosts; echo ---; cat /etc/resolv.conf', ['--network', 'host']);
  const [hosts, resolv] = out.split('---\n') as [string, string];
  assert.equal(hosts, readFileSync('/etc/hosts', 'utf8'));
  const hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
  assert.deepEqual(nameservers(resolv), nameservers(hostResolv));
  const directives = (t: string) => t.split('\n').filter((l) => /^(search|domain|options)\s/.test(l));
  assert.deepEqual(directives(resolv), directives(hostResolv));
});

/** Creates and runs a container through the API and returns its output. */
async function apiRun(body: Record<string, unknown>): Promise<string> {
  const id = await d.create(body);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${id}/wait`)).json.StatusCode, 0);
  const logs = await d.berth(['logs', id]);
  await d.api('DELETE', `/containers/${id}`);
  return logs.stdout;
}

test('Dns, DnsSearch, DnsOptions and ExtraHosts through the API; the CLI has no --dns/--add-host and says so', async () => {
  const out = await apiRun({
    Cmd: ['sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts'],
    HostConfig: { Dns: ['192.0.2.53', '2001:db8::53'], DnsSearch: ['corp.example', 'example'], DnsOptions: ['ndots:2', 'timeout:1'], ExtraHosts: ['db:192.0.2.10', 'v6host:2001:db8::10'] },
  });
  const [resolv, hosts] = out.split('---\n') as [string, string];
  assert.deepEqual(nameservers(resolv), ['192.0.2.53', '2001:db8::53']);
  assert.match(resolv, /^search corp\.example example$/m);
  assert.match(resolv, /^options ndots:2 timeout:1$/m);
  assert.match(hosts, /^192\.0\.2\.10\tdb$/m);
  assert.match(hosts, /^2001:db8::10\tv6host$/m);
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);

  // With host networking and extra hosts Docker writes its own file rather than the host's.
  const hostNet = await apiRun({ Cmd: ['cat', '/etc/hosts'], HostConfig: { NetworkMode: 'host', ExtraHosts: ['db:192.0.2.10'] } });
  assert.match(hostNet, /^192\.0\.2\.10\tdb$/m);
  assert.match(hostNet, /^127\.0\.0\.1\tlocalhost$/m);

  for (const [hc, message] of [
    [{ ExtraHosts: ['nocolon'] }, 'bad format for add-host: "nocolon"'],
    [{ ExtraHosts: ['db:not-an-ip'] }, 'invalid IP address in add-host: "not-an-ip"'],
    [{ ExtraHosts: ['gw:host-gateway'] }, 'unable to derive the IP value for host-gateway'],
    [{ Dns: ['dns.example'] }, 'IP address is not correctly formatted: dns.example'],
  ] as const) {
    const r = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: hc });
    assert.equal(r.status, 400, r.text);
    assert.ok((r.json.message as string).includes(message), r.json.message);
  }
  for (const flag of [['--dns', '192.0.2.53'], ['--add-host', 'db:192.0.2.10']]) {
    const r = await d.berth(['run', '--rm', ...flag, 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`unknown flag: ${flag[0]}`));
  }
  assert.deepEqual((await d.api('GET', '/containers/json?all=1')).json, []);
});
