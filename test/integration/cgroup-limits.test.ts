/**
 * --memory, --cpus and --pids-limit as the kernel applies them: read from the container's cgroup
 * directory on the host (found through /proc/<pid>/cgroup, v1 or v2) and from inside, enforced
 * (a fork bomb stops at the pids limit), refused when out of range, and removed with the container.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { TestDaemon } from '../helpers/test-daemon.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
});

const cgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const mib = 1024 * 1024;

/** Where the host mounts a v1 controller (or the v2 hierarchy, for controller ''). */
function mountPoint(controller: string): string {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const [fstype, , superOpts = ''] = right.split(' ');
    const target = left.split(' ')[4]!;
    if (controller === '' && fstype === 'cgroup2') return target;
    if (controller !== '' && fstype === 'cgroup' && superOpts.split(',').includes(controller)) return target;
  }
  throw new Error(`no cgroup mount for ${controller || 'v2'}`);
}

/** The host directory of a process's cgroup for one controller (v1), or its v2 cgroup. */
function cgroupDir(pid: number, controller: string): string {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, , controllers, path] = line.match(/^(\d+):([^:]*):(.*)$/) ?? [];
    if (cgroupV2 ? controllers === '' : controllers!.split(',').includes(controller)) return join(mountPoint(cgroupV2 ? '' : controller), path!);
  }
  throw new Error(`process ${pid} has no ${controller} cgroup`);
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8').trim();
}

async function runDetached(flags: string[]): Promise<{ id: string; pid: number }> {
  const r = await d.berth(['run', '-d', ...flags, 'busybox', 'sleep', '300']);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  const info = await d.inspect(id);
  assert.equal(info.State.Running, true);
  return { id, pid: info.State.Pid as number };
}

test('--memory, --cpus and --pids-limit are written to the container cgroup and seen inside', async () => {
  const { id, pid } = await runDetached(['--memory', '64m', '--cpus', '0.5', '--pids-limit', '20']);
  const memory = cgroupDir(pid, 'memory');
  assert.ok(memory.endsWith(id), `the container has a cgroup of its own: ${memory}`);
  if (cgroupV2) {
    assert.equal(read(memory, 'memory.max'), String(64 * mib));
    assert.equal(read(cgroupDir(pid, 'cpu'), 'cpu.max'), '50000 100000');
    assert.equal(read(cgroupDir(pid, 'pids'), 'pids.max'), '20');
  } else {
    assert.equal(read(memory, 'memory.limit_in_bytes'), String(64 * mib));
    // Docker's default swap limit: memory + swap = twice the memory.
    if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) assert.equal(read(memory, 'memory.memsw.limit_in_bytes'), String(128 * mib));
    assert.equal(read(cgroupDir(pid, 'cpu'), 'cpu.cfs_quota_us'), '50000');
    assert.equal(read(cgroupDir(pid, 'cpu'), 'cpu.cfs_period_us'), '100000');
    assert.equal(read(cgroupDir(pid, 'pids'), 'pids.max'), '20');
  }
  const seen = await d.berth([
    'exec', id, 'sh', '-c',
    cgroupV2
      ? 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max'
      : 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max',
  ]);
  assert.equal(seen.stdout, cgroupV2 ? `${64 * mib}\n50000 100000\n20\n` : `${64 * mib}\n50000\n20\n`);

  const hc = (await d.inspect(id)).HostConfig;
  assert.deepEqual([hc.Memory, hc.MemorySwap, hc.NanoCpus, hc.PidsLimit], [64 * mib, 128 * mib, 500_000_000, 20]);
  assert.equal((await d.berth(['rm', '-f', id])).code, 0);
});

test('without limits the cgroup is unlimited; --pids-limit -1 means no limit', async () => {
  const { id, pid } = await runDetached(['--pids-limit', '-1']);
  assert.equal(read(cgroupDir(pid, 'pids'), 'pids.max'), 'max');
  if (cgroupV2) {
    assert.equal(read(cgroupDir(pid, 'memory'), 'memory.max'), 'max');
    assert.match(read(cgroupDir(pid, 'cpu'), 'cpu.max'), /^max /);
  } else {
    assert.ok(BigInt(read(cgroupDir(pid, 'memory'), 'memory.limit_in_bytes')) > 1n << 60n, 'no memory limit');
    assert.equal(read(cgroupDir(pid, 'cpu'), 'cpu.cfs_quota_us'), '-1');
  }
  assert.equal((await d.berth(['rm', '-f', id])).code, 0);
});

test('the pids limit holds: forking past it fails inside the container', async () => {
  const { id, pid } = await runDetached(['--pids-limit', '10']);
  const bomb = await d.berth(['exec', id, 'sh', '-c', 'for i in $(seq 1 30); do sleep 60 & done; echo "started $(jobs -p | wc -l)"']);
  assert.match(bomb.stderr + bomb.stdout, /can't fork|Resource temporarily unavailable/);
  const current = Number(read(cgroupDir(pid, 'pids'), 'pids.current'));
  assert.ok(current <= 10, `pids.current ${current} stays within the limit`);
  assert.match(read(cgroupDir(pid, 'pids'), 'pids.events'), /^max [1-9]\d*$/m, 'the kernel counted refused forks');
  assert.equal((await d.berth(['rm', '-f', id])).code, 0);
});

test('the memory limit holds: a process that outgrows it is OOM-killed, and inspect says so', async () => {
  // tmpfs pages are charged to the writer's cgroup; with memory+swap capped at 32M, 96M cannot fit.
  const r = await d.berth([
    'run', '--name', 'oom', '--memory', '32m', '--memory-swap', '32m', '--tmpfs', '/big:size=200m', 'busybox',
    'sh', '-c', 'dd if=/dev/zero of=/big/f bs=1M count=96 2>/dev/null; echo "dd status $?"; echo "used kb $(df -k /big | tail -1 | awk "{print \\$3}")"',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dd status 137$/m, 'dd died of SIGKILL');
  const used = Number(/^used kb (\d+)$/m.exec(r.stdout)?.[1]);
  assert.ok(used > 0 && used <= 32 * 1024, `the tmpfs holds at most the limit: ${used} kB`);
  const info = await d.inspect('oom');
  assert.equal(info.HostConfig.MemorySwap, 32 * mib);
  assert.equal(info.State.OOMKilled, true);
  assert.equal((await d.berth(['rm', 'oom'])).code, 0);
});

test('out-of-range limits are refused before anything runs', async () => {
  const n = cpus().length;
  for (const [flags, message] of [
    [['--memory', '1m'], 'Minimum memory limit allowed is 6MB'],
    [['--cpus', String(n + 1)], `Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`],
    [['--memory', '64m', '--memory-swap', '32m'], 'Minimum memoryswap limit should be larger than memory limit, see usage'],
  ] as const) {
    const r = await d.berth(['run', '--rm', ...flags, 'busybox', 'true']);
    assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(message), r.stderr);
  }
  const bad = await d.berth(['run', '--rm', '--cpus', 'lots', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid argument "lots" for "--cpus" flag/);
  assert.deepEqual((await d.api('GET', '/containers/json?all=1')).json, []);
});

test("the container's cgroups are gone after rm, in every hierarchy", async () => {
  const { id, pid } = await runDetached(['--memory', '64m', '--pids-limit', '50']);
  const controllers = cgroupV2 ? [''] : ['memory', 'cpu', 'pids', 'devices', 'freezer', 'blkio', 'cpuset'];
  const dirs = controllers.map((c) => cgroupDir(pid, c));
  for (const dir of dirs) assert.ok(existsSync(dir) && dir.includes(id), `${dir} exists while the container runs`);
  // The device rules are the container's own (deny by default, then Docker's list).
  if (!cgroupV2) {
    const devices = read(cgroupDir(pid, 'devices'), 'devices.list').split('\n');
    assert.ok(!devices.includes('a *:* rwm'), 'not every device is allowed');
    for (const rule of ['c 1:3 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 5:0 rwm']) assert.ok(devices.includes(rule), `${rule} in ${devices.join(', ')}`);
  }
  assert.equal((await d.berth(['rm', '-f', id])).code, 0);
  for (const dir of dirs) assert.equal(existsSync(dir), false, `${dir} removed`);
  // An exited (not yet removed) container keeps no cgroup either.
  const r = await d.berth(['run', '--name', 'short', '--memory', '64m', 'busybox', 'true']);
  assert.equal(r.code, 0, r.stderr);
  const short = (await d.inspect('short')).Id as string;
  for (const dir of dirs) assert.equal(existsSync(join(dirname(dir), short)), false, `no ${join(dirname(dir), short)}`);
  assert.equal((await d.berth(['rm', 'short'])).code, 0);
});
