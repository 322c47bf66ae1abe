import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../util/errors.js';
import { buildMounts, defaultMounts } from './mounts.js';

const destinations = (ms: Array<{ destination: string }>): string[] => ms.map((m) => m.destination);

test("Docker's default mounts, in Docker's order", () => {
  const ms = buildMounts({ readonlyRootfs: false });
  assert.deepEqual(destinations(ms), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
  const byDest = new Map(ms.map((m) => [m.destination, m]));
  assert.deepEqual(byDest.get('/proc'), { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] });
  assert.deepEqual(byDest.get('/dev')!.options, ['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
  assert.deepEqual(byDest.get('/dev/pts'), {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
  });
  assert.deepEqual(byDest.get('/sys')!.options, ['nosuid', 'noexec', 'nodev', 'ro']);
  assert.deepEqual(byDest.get('/sys/fs/cgroup'), { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] });
  assert.equal(byDest.get('/dev/mqueue')!.type, 'mqueue');
  assert.deepEqual(byDest.get('/dev/shm'), { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] });
});

test('shmSize sizes /dev/shm; ipc none removes it', () => {
  assert.ok(buildMounts({ readonlyRootfs: false, shmSize: 1048576 }).find((m) => m.destination === '/dev/shm')!.options.includes('size=1048576'));
  assert.ok(!destinations(buildMounts({ readonlyRootfs: false, noShm: true })).includes('/dev/shm'));
  assert.throws(() => buildMounts({ readonlyRootfs: false, shmSize: 0 }), InvalidArgumentError);
});

test('defaultMounts returns fresh objects each time', () => {
  const a = defaultMounts();
  a[0]!.options.push('x');
  assert.ok(!defaultMounts()[0]!.options.includes('x'));
});

test('bind mounts: rbind, ro or rro, and a propagation (rprivate by default)', () => {
  const ms = buildMounts({
    readonlyRootfs: false,
    binds: [
      { source: '/var/lib/berth/containers/x/hosts', destination: '/etc/hosts' },
      { source: '/data/', destination: '/data/', readonly: true },
      { source: '/src', destination: '/src', readonly: true, recursiveReadonly: true, propagation: 'rslave' },
      { source: '/one', destination: '/one', nonRecursive: true },
    ],
  });
  const user = ms.slice(7);
  assert.deepEqual(user, [
    { destination: '/data', type: 'bind', source: '/data', options: ['rbind', 'ro', 'rprivate'] },
    { destination: '/src', type: 'bind', source: '/src', options: ['rbind', 'rro', 'rslave'] },
    { destination: '/one', type: 'bind', source: '/one', options: ['bind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: '/var/lib/berth/containers/x/hosts', options: ['rbind', 'rprivate'] },
  ]);
});

test('tmpfs mounts get Docker defaults merged with their options', () => {
  const ms = buildMounts({ readonlyRootfs: false, tmpfs: [{ destination: '/run', options: ['rw', 'size=64m', 'exec'] }] });
  assert.deepEqual(ms.at(-1), { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'rprivate', 'rw', 'size=64m', 'exec'] });
  assert.throws(() => buildMounts({ readonlyRootfs: false, tmpfs: [{ destination: '/run', options: ['bogus'] }] }), /invalid tmpfs option "bogus"/);
});

test('caller mounts are ordered parents first, keeping the given order at equal depth', () => {
  const ms = buildMounts({
    readonlyRootfs: false,
    binds: [
      { source: '/a', destination: '/data/cache/x' },
      { source: '/b', destination: '/data' },
      { source: '/c', destination: '/etc/hosts' },
    ],
    tmpfs: [{ destination: '/data/cache', options: [] }],
  });
  assert.deepEqual(destinations(ms.slice(7)), ['/data', '/etc/hosts', '/data/cache', '/data/cache/x']);
});

test('a caller mount replaces the default at the same destination', () => {
  const ms = buildMounts({ readonlyRootfs: false, tmpfs: [{ destination: '/dev/shm', options: ['size=1g'] }] });
  const shm = ms.filter((m) => m.destination === '/dev/shm');
  assert.equal(shm.length, 1);
  assert.equal(shm[0]!.source, 'tmpfs');
  assert.ok(shm[0]!.options.includes('size=1g'));
});

test('a caller /dev replaces every default under /dev', () => {
  const ms = buildMounts({ readonlyRootfs: false, binds: [{ source: '/srv/dev', destination: '/dev' }] });
  assert.deepEqual(destinations(ms), ['/proc', '/sys', '/sys/fs/cgroup', '/dev']);
});

test('two caller mounts at one destination are refused', () => {
  assert.throws(
    () => buildMounts({ readonlyRootfs: false, binds: [{ source: '/a', destination: '/x' }], tmpfs: [{ destination: '/x/', options: [] }] }),
    /Duplicate mount point: \/x/,
  );
});

test('relative paths are refused', () => {
  assert.throws(() => buildMounts({ readonlyRootfs: false, binds: [{ source: 'rel', destination: '/x' }] }), /must be absolute/);
  assert.throws(() => buildMounts({ readonlyRootfs: false, binds: [{ source: '/a', destination: 'x' }] }), /must be absolute/);
  assert.throws(() => buildMounts({ readonlyRootfs: false, tmpfs: [{ destination: 'x', options: [] }] }), /must be absolute/);
});

test('the init binary is bind-mounted read-only at /sbin/docker-init', () => {
  const ms = buildMounts({ readonlyRootfs: false, initHostPath: '/usr/bin/tini-static' });
  assert.deepEqual(ms.at(-1), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro'] });
});

test('a read-only rootfs makes default mounts read-only except /proc and the /dev family; caller mounts keep their mode', () => {
  const ms = buildMounts({
    readonlyRootfs: true,
    initHostPath: '/usr/bin/tini-static',
    binds: [{ source: '/h', destination: '/etc/hostname' }],
    tmpfs: [{ destination: '/run', options: [] }],
  });
  const ro = ms.filter((m) => m.options.includes('ro')).map((m) => m.destination);
  assert.deepEqual(ro, ['/sys', '/sys/fs/cgroup', '/sbin/docker-init']);
  for (const m of ms) assert.equal(m.options.filter((o) => o === 'ro').length <= 1, true, m.destination);
});
