/**
 * `berth run` flags doing what Docker's do, observed from inside the container and through
 * inspect: the flag list itself, -d/--rm/-i/-t/--name, the filesystem flags (--read-only,
 * --tmpfs, -w), the environment (-e, --env-file, Docker's defaults), users, entrypoint and cmd,
 * labels, restart policies, and refusals of what Berth does not implement.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, repoRoot, run, type RunResult } from '../helpers/test-daemon.js';

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

/**
 * The CLI run as bin/berth runs it (`node -- berth.js`): Node 20 would otherwise take an
 * `--env-file` among the CLI's arguments for its own option (and exit 9 when the file is missing).
 */
function berthCli(args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, ['--', join(repoRoot, 'dist/src/bin/berth.js'), '-H', d.host, ...args], input === undefined ? {} : { input });
}

async function noContainersLeft(): Promise<void> {
  assert.deepEqual((await d.api('GET', '/containers/json?all=1')).json, [], 'nothing is left behind');
}

/** The issue's run flags, with their shorthands, as `berth run --help` must list them. */
const issueFlags: Array<[string | null, string]> = [
  ['d', 'detach'], [null, 'rm'], ['i', 'interactive'], ['t', 'tty'], [null, 'name'], ['e', 'env'], [null, 'env-file'],
  ['w', 'workdir'], ['u', 'user'], [null, 'entrypoint'], ['h', 'hostname'], ['l', 'label'], [null, 'read-only'],
  [null, 'tmpfs'], ['m', 'memory'], [null, 'cpus'], [null, 'pids-limit'], [null, 'restart'], [null, 'stop-signal'],
  [null, 'stop-timeout'], [null, 'cap-add'], [null, 'cap-drop'], [null, 'security-opt'], [null, 'init'],
];

test('run --help lists every flag of the issue; flags Berth lacks are refused, never ignored', async () => {
  const help = await d.berth(['run', '--help']);
  assert.equal(help.code, 0);
  for (const [short, long] of issueFlags) {
    const head = short ? `-${short}, --${long}` : `    --${long}`;
    assert.ok(help.stdout.split('\n').some((l) => l.startsWith(`  ${head} `) || l.startsWith(`  ${head}\t`)), `--${long} in run --help`);
  }
  for (const [flag, message] of [
    [['-p', '8080:80'], /unknown shorthand flag: 'p' in -p/],
    [['-v', '/tmp:/x'], /unknown shorthand flag: 'v' in -v/],
    [['--dns', '192.0.2.1'], /unknown flag: --dns/],
    [['--add-host', 'a:192.0.2.1'], /unknown flag: --add-host/],
    [['--privileged'], /privileged containers are not supported yet/],
    [['--security-opt', 'seccomp=/no/such/profile.json'], /opening seccomp profile \(\/no\/such\/profile\.json\) failed/],
  ] as const) {
    const r = await d.berth(['run', '--rm', ...flag, 'busybox', 'true']);
    assert.equal(r.code, 125, `${flag.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  await noContainersLeft();
});

test('-d prints the id and leaves it running; --name names it and a taken name is a conflict', async () => {
  const r = await d.berth(['run', '-d', '--name', 'web', 'busybox', 'sleep', '300']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
  const id = r.stdout.trim();
  const info = await d.inspect('web');
  assert.equal(info.Id, id);
  assert.equal(info.Name, '/web');
  assert.equal(info.State.Running, true);
  const dup = await d.berth(['run', '--name', 'web', 'busybox', 'true']);
  assert.equal(dup.code, 125);
  assert.ok(dup.stderr.includes(`Conflict. The container name "/web" is already in use by container "${id}"`), dup.stderr);
  assert.equal((await d.berth(['rm', '-f', 'web'])).code, 0);
  await noContainersLeft();
});

test('--rm removes the container when it exits, attached or detached; without it the container stays', async () => {
  const r = await d.berth(['run', '--rm', '--name', 'gone', 'busybox', 'sh', '-c', 'echo bye; exit 3']);
  assert.deepEqual([r.code, r.stdout], [3, 'bye\n']);
  assert.equal((await d.api('GET', '/containers/gone/json')).status, 404);
  const id = (await d.berth(['run', '-d', '--rm', 'busybox', 'sh', '-c', 'exit 0'])).stdout.trim();
  await d.until('detached --rm container removed', async () => (await d.api('GET', `/containers/${id}/json`)).status === 404);
  assert.equal((await d.berth(['run', '--name', 'kept', 'busybox', 'true'])).code, 0);
  assert.equal((await d.inspect('kept')).State.Status, 'exited');
  assert.equal((await d.berth(['rm', 'kept'])).code, 0);
});

test('-i forwards stdin; without it the container reads nothing', async () => {
  const withI = await d.berth(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo "[end]"'], { input: 'line one\nline two\n' });
  assert.equal(withI.stdout, 'line one\nline two\n[end]\n');
  const without = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'cat; echo "[end]"'], { input: 'ignored\n' });
  assert.equal(without.stdout, '[end]\n');
});

test('-t gives the process a terminal (ttys, \\r\\n, TERM=xterm); without -t none', async () => {
  const tty = await d.berth(['run', '--rm', '-t', 'busybox', 'sh', '-c', '[ -t 0 ] && echo stdin-tty; [ -t 1 ] && echo stdout-tty; echo "TERM=$TERM"; tty']);
  assert.equal(tty.code, 0, tty.stderr);
  assert.equal(tty.stdout, 'stdin-tty\r\nstdout-tty\r\nTERM=xterm\r\n/dev/pts/0\r\n');
  const plain = await inside('[ -t 0 ] || echo stdin-not-tty; [ -t 1 ] || echo stdout-not-tty; echo "TERM=${TERM-unset}"');
  assert.equal(plain, 'stdin-not-tty\nstdout-not-tty\nTERM=unset\n');
  // As docker: -it needs a terminal on this side.
  const it = await d.berth(['run', '--rm', '-it', 'busybox', 'true']);
  assert.equal(it.code, 1);
  assert.match(it.stderr, /the input device is not a TTY/);
  await noContainersLeft();
});

test('--read-only: the root filesystem refuses writes; /etc files read, /dev/shm and tmpfs write', async () => {
  const out = await inside(
    'touch /new 2>&1; { echo x >> /etc/passwd; } 2>&1; { echo x > /etc/hosts; } 2>&1; ' +
      'cat /etc/hosts /etc/hostname /etc/resolv.conf > /dev/null && echo etc-readable; ' +
      'echo a > /dev/shm/a && echo shm-writable; echo b > /scratch/b && echo tmpfs-writable; ' +
      'grep -E " / | /etc/hosts " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1',
    ['--read-only', '--tmpfs', '/scratch'],
  );
  assert.match(out, /touch: \/new: Read-only file system/);
  assert.match(out, /can't create \/etc\/passwd: Read-only file system/);
  assert.match(out, /can't create \/etc\/hosts: Read-only file system/);
  assert.match(out, /^etc-readable$/m);
  assert.match(out, /^shm-writable$/m);
  assert.match(out, /^tmpfs-writable$/m);
  assert.match(out, /^\/ ro$/m);
  assert.match(out, /^\/etc\/hosts ro$/m);
  assert.equal(await inside('touch /new && echo writable'), 'writable\n');
});

test('--tmpfs mounts a tmpfs with Docker defaults, and size, mode and exec applied', async () => {
  const out = await inside(
    'for p in /plain /sized /bin2; do echo "$p $(grep " $p " /proc/mounts | cut -d" " -f3,4)"; echo "$p mode $(stat -c %a $p)"; done; ' +
      'echo "sized kb $(df -k /sized | tail -1 | awk "{print \\$2}")"; ' +
      'dd if=/dev/zero of=/sized/fill bs=1024 count=2048 2>&1 | grep -o "No space left on device"; ' +
      'cp /bin/busybox /bin2/echo && /bin2/echo exec-ok; cp /bin/busybox /plain/echo && { /plain/echo noexec-ran; } 2>&1; true',
    ['--tmpfs', '/plain', '--tmpfs', '/sized:size=1m,mode=700', '--tmpfs', '/bin2:exec'],
  );
  assert.match(out, /^\/plain tmpfs rw,nosuid,nodev,noexec,relatime$/m);
  assert.match(out, /^\/plain mode 1777$/m);
  assert.match(out, /^\/sized tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=700$/m);
  assert.match(out, /^\/sized mode 700$/m);
  assert.match(out, /^sized kb 1024$/m);
  assert.match(out, /^No space left on device$/m);
  assert.match(out, /^\/bin2 tmpfs rw,nosuid,nodev,relatime$/m);
  assert.match(out, /^exec-ok$/m);
  assert.doesNotMatch(out, /noexec-ran/);
  assert.match(out, /\/plain\/echo: Permission denied/);

  const info = await d.create({ Cmd: ['true'], HostConfig: { Tmpfs: { '/x': 'size=2m' } } });
  assert.deepEqual((await d.inspect(info)).HostConfig.Tmpfs, { '/x': 'size=2m' });
  await d.api('DELETE', `/containers/${info}`);
  const rel = await d.berth(['run', '--rm', '--tmpfs', 'relative', 'busybox', 'true']);
  assert.equal(rel.code, 125);
  assert.match(rel.stderr, /invalid mount path: 'relative' mount path must be absolute/);
  await noContainersLeft();
});

test('-w sets the working directory and creates it when missing, even with --read-only', async () => {
  assert.equal(await inside('pwd; stat -c "%F %U" .', ['-w', '/made/for/me']), '/made/for/me\ndirectory root\n');
  assert.equal(await inside('pwd', ['--read-only', '-w', '/also/made']), '/also/made\n');
  assert.equal(await inside('pwd', ['-w', '/etc']), '/etc\n');
  const rel = await d.berth(['run', '--rm', '-w', 'rel', 'busybox', 'pwd']);
  assert.equal(rel.code, 125);
  assert.match(rel.stderr, /the working directory 'rel' is invalid, it needs to be an absolute path/);
  await noContainersLeft();
});

/** `env` output as a map. */
function envMap(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

test("environment: Docker's defaults, -e, -e NAME from the caller, --env-file, and their order in Config.Env", async () => {
  const defaults = envMap(await inside('env'));
  assert.deepEqual(Object.keys(defaults).sort(), ['HOME', 'HOSTNAME', 'PATH', 'PWD', 'SHLVL']);
  assert.equal(defaults.PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.equal(defaults.HOME, '/root');
  assert.match(defaults.HOSTNAME!, /^[0-9a-f]{12}$/);

  const file = join(d.dir, 'run.env');
  writeFileSync(file, '# a comment\nFROM_FILE=yes\n\n  INDENTED=kept\nSPACED=a b  c\nOVERRIDDEN=file\nCALLER_VAR\n');
  process.env.CALLER_VAR = 'from-the-caller';
  let r;
  try {
    r = await berthCli(['run', '--name', 'envs', '--env-file', file, '-e', 'OVERRIDDEN=flag', '-e', 'CALLER_VAR', '-e', 'UNSET_HERE_VAR', '-e', 'PATH=/custom/bin:/bin:/usr/bin', '-e', 'EMPTY=', 'busybox', 'env']);
  } finally {
    delete process.env.CALLER_VAR;
  }
  assert.equal(r.code, 0, r.stderr);
  const env = envMap(r.stdout);
  assert.equal(env.FROM_FILE, 'yes');
  assert.equal(env.INDENTED, 'kept');
  assert.equal(env.SPACED, 'a b  c');
  assert.equal(env.OVERRIDDEN, 'flag');
  assert.equal(env.CALLER_VAR, 'from-the-caller');
  assert.equal(env.EMPTY, '');
  assert.equal(env.PATH, '/custom/bin:/bin:/usr/bin');
  assert.equal('UNSET_HERE_VAR' in env, false, 'a name the caller lacks is not set');
  // Docker keeps the request's entries first, then the image's it does not override.
  const info = await d.inspect('envs');
  assert.deepEqual(info.Config.Env, ['FROM_FILE=yes', 'INDENTED=kept', 'SPACED=a b  c', 'OVERRIDDEN=file', 'CALLER_VAR=from-the-caller', 'OVERRIDDEN=flag', 'CALLER_VAR=from-the-caller', 'UNSET_HERE_VAR', 'PATH=/custom/bin:/bin:/usr/bin', 'EMPTY=']);
  assert.equal((await d.berth(['rm', 'envs'])).code, 0);

  const tty = envMap((await d.berth(['run', '--rm', '-t', '-e', 'TERM=vt100', 'busybox', 'env'])).stdout.replace(/\r/g, ''));
  assert.equal(tty.TERM, 'vt100');
  const missing = await berthCli(['run', '--rm', '--env-file', join(d.dir, 'nope.env'), 'busybox', 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /open .*nope\.env: no such file or directory/);
  await noContainersLeft();
});

test("-u resolves names and ids through the image's /etc/passwd and /etc/group", async () => {
  const id = (flags: string[]) => inside('echo "$(id) home=$HOME"', flags);
  assert.equal(await id([]), 'uid=0(root) gid=0(root) groups=0(root) home=/root\n');
  assert.equal(await id(['-u', 'nobody']), 'uid=65534(nobody) gid=65534(nobody) groups=65534(nobody) home=/home\n');
  assert.equal(await id(['-u', '65534']), 'uid=65534(nobody) gid=65534(nobody) groups=65534(nobody) home=/home\n');
  assert.equal(await id(['--user', 'nobody:root']), 'uid=65534(nobody) gid=0(root) groups=0(root) home=/home\n');
  assert.equal(await id(['-u', '0:65534']), 'uid=0(root) gid=65534(nobody) groups=65534(nobody) home=/root\n');
  // Ids the image does not know are used as they are, with gid 0 and HOME=/ as Docker does.
  assert.equal(await id(['-u', '4321']), 'uid=4321 gid=0(root) groups=0(root) home=/\n');
  assert.equal(await id(['-u', '1234:5678']), 'uid=1234 gid=5678 groups=5678 home=/\n');
  assert.match(await inside('touch /root/x 2>&1 || true', ['-u', 'nobody']), /Permission denied/);

  for (const [user, message] of [
    ['nosuch', 'unable to find user nosuch: no matching entries in passwd file'],
    ['root:nosuchgroup', 'unable to find group nosuchgroup: no matching entries in group file'],
  ]) {
    const r = await d.berth(['run', '--rm', '-u', user!, 'busybox', 'true']);
    assert.equal(r.code, 125, r.stderr);
    assert.ok(r.stderr.includes(message!), r.stderr);
  }
  await noContainersLeft();
});

test('--entrypoint and the command combine as Docker does', async () => {
  assert.equal((await d.berth(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b'])).stdout, 'a b\n');
  assert.equal((await d.berth(['run', '--rm', '--entrypoint', '/bin/echo', 'busybox'])).stdout, '\n');
  assert.equal((await d.berth(['run', '--rm', '--entrypoint', '', 'busybox', 'echo', 'cleared'])).stdout, 'cleared\n');
  // The image's CMD is ["sh"]: it runs when no command is given (stdin closed, so it exits 0).
  assert.equal((await d.berth(['run', '--rm', 'busybox'])).code, 0);
  // An empty entrypoint drops the image's CMD too; nothing is left to run.
  const none = await d.berth(['run', '--rm', '--entrypoint', '', 'busybox']);
  assert.equal(none.code, 125);
  assert.match(none.stderr, /no command specified/);

  const id = (await d.berth(['create', '--entrypoint', 'sh', 'busybox', '-c', 'echo from-create'])).stdout.trim();
  const info = await d.inspect(id);
  assert.deepEqual([info.Config.Entrypoint, info.Config.Cmd, info.Path, info.Args], [['sh'], ['-c', 'echo from-create'], 'sh', ['-c', 'echo from-create']]);
  const started = await d.berth(['start', '-a', id]);
  assert.equal(started.stdout, 'from-create\n');
  assert.equal((await d.berth(['rm', id])).code, 0);
  await noContainersLeft();
});

test('-l, --label and --label-file land in Config.Labels', async () => {
  const file = join(d.dir, 'labels');
  writeFileSync(file, '# labels\nfrom.file=1\nteam=file\n');
  const id = (await d.berth(['create', '--label-file', file, '-l', 'tier=web', '--label', 'team=flag', '-l', 'bare', 'busybox', 'true'])).stdout.trim();
  assert.deepEqual((await d.inspect(id)).Config.Labels, { 'from.file': '1', team: 'flag', tier: 'web', bare: '' });
  const listed = await d.api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['tier=web'] }))}`);
  assert.deepEqual(listed.json.map((c: { Id: string }) => c.Id), [id]);
  assert.equal((await d.berth(['rm', id])).code, 0);
});

test('--restart is stored and applied; it conflicts with --rm and must be a known policy', async () => {
  const id = (await d.berth(['run', '-d', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3'])).stdout.trim();
  const info = await d.until(
    'two restarts, then the container stays exited',
    async () => {
      const i = await d.inspect(id);
      return i.RestartCount === 2 && i.State.Status === 'exited' ? i : undefined;
    },
    30_000,
  );
  assert.deepEqual(info.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  assert.equal(info.State.ExitCode, 3);
  assert.equal((await d.berth(['rm', id])).code, 0);

  const both = await d.berth(['run', '--rm', '--restart', 'always', 'busybox', 'true']);
  assert.equal(both.code, 125);
  assert.match(both.stderr, /conflicting options: cannot specify both --restart and --rm/);
  const bogus = await d.berth(['run', '--restart', 'sometimes', 'busybox', 'true']);
  assert.equal(bogus.code, 125);
  assert.match(bogus.stderr, /invalid restart policy/);
  await noContainersLeft();
});
