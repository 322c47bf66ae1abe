/**
 * The docker CLI shipped on this machine class, pointed at berthd with -H, doing what people do
 * every day: the acceptance list of issue #2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TestDaemon, dockerCli } from '../helpers/test-daemon.js';
import { PtySession } from '../helpers/pty-session.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
});

function dockerPty(args: string[], opts: { rows?: number; cols?: number } = {}): PtySession {
  return new PtySession([dockerCli, '-H', d.host, ...args], { ...opts, env: { ...process.env, DOCKER_CONFIG: join(d.dir, 'docker-config') } });
}

test('docker run --rm busybox echo hi prints hi and leaves nothing behind', async () => {
  const r = await d.docker(['run', '--rm', 'busybox', 'echo', 'hi']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0);
  const ps = await d.docker(['ps', '-a', '-q']);
  assert.equal(ps.stdout, '');
});

test('docker run passes the exit code and keeps stdout and stderr apart', async () => {
  const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('echo x | docker run -i --rm busybox cat', async () => {
  const r = await d.docker(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'x\n' });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'x\n');
});

test('run -d, ps, logs, logs -f, exec, inspect --format, stop, wait, rm -f', async () => {
  const started = await d.docker(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; i=0; while true; do echo tick $i; echo tock $i >&2; i=$((i+1)); sleep 0.2; done']);
  assert.equal(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);

  const ps = await d.docker(['ps']);
  assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
  assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c .*Up .*ticker$`, 'm'));
  const formatted = await d.docker(['ps', '--format', '{{.Names}} {{.Image}} {{.ID}}']);
  assert.equal(formatted.stdout, `ticker busybox ${id.slice(0, 12)}\n`);

  await d.until('two ticks', async () => (await d.docker(['logs', 'ticker'])).stdout.includes('tick 2'));
  const logs = await d.docker(['logs', 'ticker']);
  assert.match(logs.stdout, /^tick 0\ntick 1\n/);
  assert.doesNotMatch(logs.stdout, /tock/);
  assert.match(logs.stderr, /^tock 0\ntock 1\n/);
  // --tail counts the lines of both streams together, as Docker's does.
  const tail = await d.docker(['logs', '--tail', '4', 'ticker']);
  const tailLines = [...tail.stdout.split('\n'), ...tail.stderr.split('\n')].filter(Boolean);
  assert.equal(tailLines.length, 4);
  const ts = await d.docker(['logs', '-t', '--tail', '2', 'ticker']);
  assert.match(ts.stdout + ts.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z t(i|o)ck \d+\n/);

  // logs -f keeps delivering new lines while the container runs.
  const follow = spawn(dockerCli, ['-H', d.host, 'logs', '-f', '--tail', '0', 'ticker'], { env: { ...process.env, DOCKER_CONFIG: join(d.dir, 'docker-config') } });
  let followed = '';
  follow.stdout.on('data', (c: Buffer) => (followed += c.toString()));
  await d.until('followed lines', async () => followed.split('\n').filter(Boolean).length >= 3);
  const numbers = followed.split('\n').filter(Boolean).map((l) => Number(l.split(' ')[1]));
  assert.deepEqual(numbers.slice(1, 3), [numbers[0]! + 1, numbers[0]! + 2]);

  const exec = await d.docker(['exec', 'ticker', 'sh', '-c', 'echo in $HOSTNAME; exit 4']);
  assert.equal(exec.code, 4);
  assert.equal(exec.stdout, `in ${id.slice(0, 12)}\n`);

  const status = await d.docker(['inspect', '--format', '{{.State.Status}} {{.Name}} {{json .Config.Cmd}}', 'ticker']);
  assert.equal(status.stdout.trim().split(' ').slice(0, 2).join(' '), 'running /ticker');
  assert.match(status.stdout, /\["sh","-c",/);

  const followEnded = new Promise<number>((r) => follow.once('exit', (c) => r(c ?? -1)));
  const stop = await d.docker(['stop', 'ticker']);
  assert.equal(stop.stdout, 'ticker\n');
  assert.equal(await followEnded, 0, 'logs -f ends when the container stops');
  const wait = await d.docker(['wait', 'ticker']);
  assert.equal(wait.stdout, '0\n');
  const exited = await d.docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'ticker']);
  assert.equal(exited.stdout, 'exited 0\n');

  await d.docker(['start', 'ticker']);
  const rm = await d.docker(['rm', '-f', 'ticker']);
  assert.equal(rm.code, 0);
  assert.equal(rm.stdout, 'ticker\n');
  const gone = await d.docker(['inspect', 'ticker']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such object: ticker|No such container: ticker/);
});

test('docker exec -it gives an interactive shell with the terminal size', async () => {
  assert.equal((await d.docker(['run', '-d', '--name', 'box', 'busybox', 'sleep', '300'])).code, 0);
  const s = dockerPty(['exec', '-it', 'box', 'sh'], { rows: 31, cols: 97 });
  try {
    await s.expect(/\/ # /);
    s.type('echo $((6*7)); stty size; tty\r');
    await s.expect(/\r\n42\r\n31 97\r\n\/dev\/pts\/\d+\r\n/);
    s.type('exit 3\r');
    assert.equal(await s.exited, 3);
  } finally {
    s.kill();
    await d.docker(['rm', '-f', 'box']);
  }
});

test('docker run -it runs an interactive shell and removes it with --rm', async () => {
  const s = dockerPty(['run', '-it', '--rm', '--name', 'inter', 'busybox', 'sh'], { rows: 40, cols: 120 });
  try {
    await s.expect(/\/ # /);
    s.type('stty size; echo "pid $$"\r');
    await s.expect(/40 120\r\npid 1\r\n/);
    s.type('exit\r');
    assert.equal(await s.exited, 0);
  } finally {
    s.kill();
  }
  await d.until('auto-removed', async () => (await d.docker(['ps', '-a', '-q', '--filter', 'name=inter'])).stdout === '');
});

test('docker attach, then detach with ctrl-p ctrl-q leaves the container running', async () => {
  assert.equal((await d.docker(['run', '-dit', '--name', 'att', 'busybox', 'sh'])).code, 0);
  const s = dockerPty(['attach', 'att']);
  try {
    s.type('echo attached-$((1+1))\r');
    await s.expect(/attached-2/);
    s.type('\x10\x11');
    // The docker CLI reports the detach as "read escape sequence" and exits 1, against Docker too.
    await s.expect(/read escape sequence/);
    assert.equal(await s.exited, 1);
  } finally {
    s.kill();
  }
  const st = await d.docker(['inspect', '--format', '{{.State.Running}}', 'att']);
  assert.equal(st.stdout, 'true\n');
  await d.docker(['rm', '-f', 'att']);
});

test('top, rename, pause/unpause, prune, version and info', async () => {
  assert.equal((await d.docker(['run', '-d', '--name', 'old', 'busybox', 'sleep', '300'])).code, 0);
  const top = await d.docker(['top', 'old']);
  assert.match(top.stdout, /PID/);
  assert.match(top.stdout, /sleep 300/);
  assert.equal((await d.docker(['rename', 'old', 'new'])).code, 0);
  assert.equal((await d.docker(['pause', 'new'])).stdout, 'new\n');
  assert.equal((await d.docker(['inspect', '--format', '{{.State.Status}}', 'new'])).stdout, 'paused\n');
  assert.equal((await d.docker(['unpause', 'new'])).stdout, 'new\n');
  assert.equal((await d.docker(['inspect', '--format', '{{.State.Status}}', 'new'])).stdout, 'running\n');
  assert.equal((await d.docker(['run', '--name', 'done', 'busybox', 'true'])).code, 0);
  const prune = await d.docker(['container', 'prune', '-f']);
  assert.match(prune.stdout, /Deleted Containers:\n[0-9a-f]{64}\n/);
  const left = await d.docker(['ps', '-a', '--format', '{{.Names}}']);
  assert.equal(left.stdout, 'new\n');
  await d.docker(['rm', '-f', 'new']);

  const version = await d.docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+ 1\.45\n$/);
  const info = await d.docker(['info', '--format', '{{.Containers}} {{.Images}} {{.OSType}}']);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /^0 \d+ linux\n$/);
});

test('images, tag and rmi', async () => {
  const tag = await d.docker(['tag', 'busybox', 'mine/box:v1']);
  assert.equal(tag.code, 0, tag.stderr);
  const images = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.deepEqual(images.stdout.trim().split('\n').sort(), ['busybox:latest', 'mine/box:v1']);
  const rmi = await d.docker(['rmi', 'mine/box:v1']);
  assert.equal(rmi.stdout, 'Untagged: mine/box:v1\n');
  const missing = await d.docker(['rmi', 'nope:latest']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such image: nope:latest/);
});
