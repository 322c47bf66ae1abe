/**
 * Proves that what buildOciSpec writes actually runs: a rootfs made from the host's static
 * busybox, config.json from the builder, `runc run` in the foreground, and checks from inside the
 * container. Needs root, runc and a static busybox; skipped otherwise, with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, rmdir, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildOciSpec, type OciSpecInput } from './build-oci-spec.js';
import { capabilityMask, defaultCapabilities, resolveCapabilities } from './capabilities.js';
import { defaultEnv } from './default-env.js';
import { resolveUser } from './resolve-user.js';
import { parseTmpfsMountOptions } from './tmpfs-options.js';
import { serializeOciSpec } from './serialize-oci-spec.js';

const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const initBinary = '/usr/bin/tini-static';

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return ['/usr/sbin', '/usr/bin', '/sbin'].map((d) => join(d, name)).find((p) => existsSync(p));
}

const runc = which('runc');
const skip =
  process.platform !== 'linux'
    ? 'needs Linux'
    : process.getuid?.() !== 0
      ? 'needs root'
      : !runc
        ? 'needs runc (apt-get install -y runc)'
        : !busybox
          ? 'needs a static busybox (apt-get install -y busybox-static)'
          : false;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** key=value lines printed by the container scripts. */
function fields(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n';
const group = 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n';

async function makeRootfs(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await chmod(rootfs, 0o755);
  await copyFile(busybox!, join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  const list = await run(busybox!, ['--list-full']);
  for (const rel of list.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const target = join(rootfs, rel);
    if (target === join(rootfs, 'bin/busybox')) continue;
    await mkdir(dirname(target), { recursive: true });
    if (!existsSync(target)) await symlink('/bin/busybox', target);
  }
  for (const d of ['proc', 'sys', 'dev', 'etc', 'run', 'root', 'home/app', 'tmp']) await mkdir(join(rootfs, d), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await writeFile(join(rootfs, 'etc/passwd'), passwd);
  await writeFile(join(rootfs, 'etc/group'), group);
  await writeFile(join(rootfs, 'etc/berth-smoke'), '');
  return rootfs;
}

/** Runs one container in the foreground and always deletes it. */
async function runContainer(dir: string, name: string, spec: ReturnType<typeof buildOciSpec>): Promise<Run> {
  const bundle = join(dir, name);
  const state = join(dir, 'state');
  await mkdir(bundle, { recursive: true });
  await writeFile(join(bundle, 'config.json'), serializeOciSpec(spec));
  const id = `berth-smoke-${name}-${randomBytes(4).toString('hex')}`;
  try {
    return await run(runc!, ['--root', state, 'run', '--bundle', bundle, id]);
  } finally {
    await run(runc!, ['--root', state, 'delete', '-f', id]).catch(() => undefined);
  }
}

async function removeTestCgroups(): Promise<void> {
  const base = '/sys/fs/cgroup';
  const roots = existsSync(join(base, 'cgroup.controllers')) ? [base] : (await readdir(base)).map((c) => join(base, c));
  for (const r of roots) await rmdir(join(r, 'berth-test')).catch(() => undefined);
}

test('buildOciSpec output runs under runc with Docker semantics', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-spec-smoke-'));
  try {
    const rootfs = await makeRootfs(dir);
    const hostHard = Number((await run('/bin/sh', ['-c', 'ulimit -Hn'])).stdout.trim());
    assert.ok(hostHard > 0);
    const cgroupVersion: 1 | 2 = existsSync('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1;
    const boundFile = join(dir, 'bound.txt');
    await writeFile(boundFile, 'from-the-host\n');
    const suffix = randomBytes(4).toString('hex');
    // A masked file that exists and has content on this host (kernels without /proc/kcore exist).
    const maskedFile = (['/proc/kcore', '/proc/timer_list', '/proc/keys'] as const).find((p) => existsSync(p)) ?? '/proc/keys';

    const base = (name: string, user: ReturnType<typeof resolveUser>, script: string, over: Partial<OciSpecInput>): OciSpecInput => ({
      rootfs,
      readonlyRootfs: false,
      process: {
        args: ['/bin/sh', '-c', script],
        env: defaultEnv({ env: [], hostname: `smoke-${name}`, tty: false, home: user.home }),
        cwd: '/',
        terminal: false,
        user,
        noNewPrivileges: false,
        capabilities: resolveCapabilities({}),
      },
      hostname: `smoke-${name}`,
      namespaces: { network: { mode: 'private' } },
      cgroupVersion,
      cgroupsPath: `/berth-test/${name}-${suffix}`,
      hostNofileHardLimit: hostHard,
      ...over,
    });

    await t.test('root, read-only rootfs, limits, masks, tmpfs, init, bind', async () => {
      const script = [
        'echo "hostname=$(hostname)"',
        "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status | tr -d ' \\t' | sed 's/:/=/'",
        `echo "masked=$(wc -c < ${maskedFile})"`,
        `echo "maskedmount=$(grep -c ' ${maskedFile} ' /proc/self/mountinfo)"`,
        'echo "firmware=$(ls -A /sys/firmware | wc -l)"',
        'if touch /rootfs-write 2>/dev/null; then echo rootfs=writable; else echo rootfs=readonly; fi',
        'echo "procsys=$(awk \'$2=="/proc/sys"{print $4}\' /proc/mounts | tail -n1)"',
        'if touch /run/ok 2>/dev/null; then echo run=writable; else echo run=readonly; fi',
        'echo "runmount=$(awk \'$2=="/run"{print $3" "$4}\' /proc/mounts)"',
        'echo "shmmount=$(awk \'$2=="/dev/shm"{print $4}\' /proc/mounts)"',
        cgroupVersion === 1
          ? 'echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"; echo "pids=$(cat /sys/fs/cgroup/pids/pids.max)"'
          : 'echo "memory=$(cat /sys/fs/cgroup/memory.max)"; echo "pids=$(cat /sys/fs/cgroup/pids.max)"',
        'echo "nofile=$(ulimit -n)"',
        'echo "nofilehard=$(ulimit -Hn)"',
        'echo "pid1=$(tr \'\\0\' \' \' < /proc/1/cmdline)"',
        'echo "bind=$(cat /etc/berth-smoke)"',
        'if echo x > /etc/berth-smoke 2>/dev/null; then echo bindwrite=ok; else echo bindwrite=refused; fi',
        'echo "ping=$(cat /proc/sys/net/ipv4/ping_group_range | tr \'\\t\' \' \')"',
        'echo "path=$PATH"',
        'echo "home=$HOME"',
      ].join('\n');
      const root = resolveUser('', { passwd, group });
      const spec = buildOciSpec(
        base('root', root, script, {
          readonlyRootfs: true,
          process: { ...base('root', root, script, {}).process, noNewPrivileges: true },
          resources: { memory: 64 * 1024 * 1024, pidsLimit: 50 },
          tmpfs: [{ destination: '/run', options: parseTmpfsMountOptions('rw,size=1m,mode=755') }],
          binds: [{ source: boundFile, destination: '/etc/berth-smoke', readonly: true }],
          init: { hostPath: initBinary },
        }),
      );
      if (!existsSync(initBinary)) {
        spec.process.args = spec.process.args.slice(2);
        spec.mounts = spec.mounts.filter((m) => m.destination !== '/sbin/docker-init');
      }
      const r = await runContainer(dir, 'root', spec);
      assert.equal(r.code, 0, `runc failed: ${r.stderr}\n${r.stdout}`);
      const f = fields(r.stdout);
      const hex = capabilityMask(defaultCapabilities).toString(16).padStart(16, '0');
      assert.equal(f.get('hostname'), 'smoke-root');
      assert.equal(f.get('CapBnd'), hex);
      assert.equal(f.get('CapEff'), hex);
      assert.equal(f.get('CapPrm'), hex);
      assert.equal(f.get('CapInh'), '0000000000000000');
      assert.equal(f.get('CapAmb'), '0000000000000000');
      assert.equal(f.get('NoNewPrivs'), '1');
      assert.equal(f.get('masked'), '0', `masked ${maskedFile} reads as empty`);
      assert.equal(f.get('maskedmount'), '1', `${maskedFile} is masked by a mount`);
      assert.equal(f.get('firmware'), '0', 'masked /sys/firmware is empty');
      assert.equal(f.get('rootfs'), 'readonly');
      assert.match(f.get('procsys') ?? '', /^ro(,|$)/, '/proc/sys is read-only');
      assert.equal(f.get('run'), 'writable');
      const runMount = f.get('runmount') ?? '';
      assert.match(runMount, /^tmpfs /);
      for (const o of ['nosuid', 'nodev', 'noexec', 'size=1024k', 'mode=755']) assert.ok(runMount.split(/[ ,]/).includes(o), `${o} in ${runMount}`);
      assert.ok((f.get('shmmount') ?? '').includes('size=65536k'), f.get('shmmount'));
      assert.equal(f.get('memory'), String(64 * 1024 * 1024));
      assert.equal(f.get('pids'), '50');
      const expectedNofile = String(Math.min(1048576, hostHard));
      assert.equal(f.get('nofile'), expectedNofile);
      assert.equal(f.get('nofilehard'), expectedNofile);
      if (existsSync(initBinary)) assert.match(f.get('pid1') ?? '', /^\/sbin\/docker-init -- \/bin\/sh -c /);
      assert.equal(f.get('bind'), 'from-the-host');
      assert.equal(f.get('bindwrite'), 'refused');
      assert.equal(f.get('ping'), '0 2147483647');
      assert.equal(f.get('path'), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
      assert.equal(f.get('home'), '/root');
    });

    await t.test('a non-root user from the image passwd: ids, groups, no effective capabilities', async () => {
      const script = [
        'echo "id=$(id)"',
        "grep -E '^(CapPrm|CapEff|CapBnd):' /proc/self/status | tr -d ' \\t' | sed 's/:/=/'",
        'if touch /tmp/rw 2>/dev/null; then echo tmp=writable; else echo tmp=readonly; fi',
        'echo "home=$HOME"',
        'echo "hostnameenv=$HOSTNAME"',
      ].join('\n');
      const app = resolveUser('app', { passwd, group });
      assert.deepEqual(app.additionalGids, [1000, 2000]);
      const r = await runContainer(dir, 'app', buildOciSpec(base('app', app, script, { resources: { pidsLimit: 0 } })));
      assert.equal(r.code, 0, `runc failed: ${r.stderr}\n${r.stdout}`);
      const f = fields(r.stdout);
      assert.equal(f.get('id'), 'uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)');
      assert.equal(f.get('CapBnd'), capabilityMask(defaultCapabilities).toString(16).padStart(16, '0'));
      assert.equal(f.get('CapEff'), '0000000000000000', 'a non-root user loses effective capabilities at exec, as in Docker');
      assert.equal(f.get('CapPrm'), '0000000000000000');
      assert.equal(f.get('tmp'), 'writable');
      assert.equal(f.get('home'), '/home/app');
      assert.equal(f.get('hostnameenv'), 'smoke-app');
    });

    await t.test('a spec runc must refuse is refused: a user ulimit above the host limit never reaches runc', () => {
      assert.throws(() => buildOciSpec(base('x', resolveUser('', { passwd, group }), 'true', { ulimits: [{ name: 'nofile', soft: hostHard + 1, hard: hostHard + 1 }] })), /above the daemon's own hard limit/);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await removeTestCgroups();
  }
});
