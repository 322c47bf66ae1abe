/**
 * Exit codes and stop signals as Docker reports them: the command's own status, 126 and 127
 * when the command cannot run, 137 after SIGKILL, PID 1's deaf ear to SIGTERM without a handler,
 * --stop-signal and --stop-timeout honoured by `berth stop`, and --init forwarding signals.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TestDaemon, repoRoot } from '../helpers/test-daemon.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
});

/** `berth run -d [flags] busybox args`; returns the id once the container runs. */
async function detached(flags: string[], args: string[]): Promise<string> {
  const r = await d.berth(['run', '-d', ...flags, 'busybox', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** `berth stop [args] id`, timed. */
async function timedStop(id: string, args: string[] = []): Promise<number> {
  const t0 = Date.now();
  const r = await d.berth(['stop', ...args, id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${id}\n`);
  return Date.now() - t0;
}

test("the command's exit status passes through run, wait and inspect", async () => {
  for (const code of [0, 1, 42, 255]) {
    const r = await d.berth(['run', '--name', `exit${code}`, 'busybox', 'sh', '-c', `exit ${code}`]);
    assert.equal(r.code, code);
    assert.equal((await d.berth(['wait', `exit${code}`])).stdout, `${code}\n`);
    assert.equal((await d.inspect(`exit${code}`)).State.ExitCode, code);
    assert.equal((await d.berth(['rm', `exit${code}`])).code, 0);
  }
  // A process killed by a signal inside the container is 128 + the signal, as the shell reports it.
  assert.equal((await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'sleep 100 & kill -9 $!; wait $!'])).code, 137);
});

test('127 for a missing command and 126 for one that cannot be executed, with the runtime error', async () => {
  const missing = await d.berth(['run', '--name', 'missing', 'busybox', 'nosuchcmd']);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /exec: "nosuchcmd": executable file not found in \$PATH/);
  // As Docker: the container stays created, with the code and the error recorded.
  const info = await d.inspect('missing');
  assert.equal(info.State.Status, 'created');
  assert.equal(info.State.ExitCode, 127);
  assert.match(info.State.Error, /executable file not found in \$PATH/);
  assert.equal((await d.berth(['rm', 'missing'])).code, 0);

  const absent = await d.berth(['run', '--rm', 'busybox', '/no/such/binary']);
  assert.equal(absent.code, 127);
  assert.match(absent.stderr, /no such file or directory/);

  const notExec = await d.berth(['run', '--rm', 'busybox', '/etc/passwd']);
  assert.equal(notExec.code, 126);
  assert.match(notExec.stderr, /exec: "\/etc\/passwd": permission denied/);
  assert.equal((await d.berth(['run', '--rm', 'busybox', '/etc'])).code, 126);
  // A script the shell cannot run is the shell's own 126/127.
  assert.equal((await d.berth(['run', '--rm', 'busybox', 'sh', '-c', '/etc/passwd'])).code, 126);
  assert.equal((await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'nosuchcmd'])).code, 127);
  assert.deepEqual((await d.api('GET', '/containers/json?all=1')).json, []);
});

test('SIGKILL from outside: 137 for the container and for an attached berth run', async () => {
  const id = await detached([], ['sleep', '300']);
  assert.equal((await d.berth(['kill', id])).code, 0);
  assert.equal((await d.berth(['wait', id])).stdout, '137\n');
  const info = await d.inspect(id);
  assert.deepEqual([info.State.Status, info.State.ExitCode, info.State.OOMKilled], ['exited', 137, false]);
  assert.equal((await d.berth(['rm', id])).code, 0);

  // An attached `berth run` ends with the container's 137.
  const child = spawn(process.execPath, ['--', join(repoRoot, 'dist/src/bin/berth.js'), '-H', d.host, 'run', '--name', 'attached', 'busybox', 'sleep', '300'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await d.until('attached container running', async () => (await d.api('GET', '/containers/attached/json')).json?.State?.Running === true);
  assert.equal((await d.berth(['kill', '--signal', 'KILL', 'attached'])).code, 0);
  assert.equal(await exited, 137);
  assert.equal((await d.berth(['rm', 'attached'])).code, 0);
});

test('PID 1 without a SIGTERM handler ignores it: stop waits for the timeout, then kills (137)', async () => {
  const id = await detached([], ['sleep', '300']);
  const ms = await timedStop(id, ['-t', '2']);
  assert.ok(ms >= 1900, `stop waited for the 2s timeout (${ms}ms)`);
  assert.ok(ms < 9000, `then killed at once (${ms}ms)`);
  assert.equal((await d.inspect(id)).State.ExitCode, 137);
  // A PID 1 that handles TERM stops at once with its own status.
  const handled = await detached([], ['sh', '-c', 'trap "exit 42" TERM; while :; do sleep 0.1; done']);
  assert.ok((await timedStop(handled, ['-t', '20'])) < 5000);
  assert.equal((await d.inspect(handled)).State.ExitCode, 42);
  for (const c of [id, handled]) assert.equal((await d.berth(['rm', c])).code, 0);
});

test('--stop-timeout replaces the 10 s default of berth stop; -t still wins', async () => {
  const id = await detached(['--stop-timeout', '2'], ['sleep', '300']);
  assert.equal((await d.inspect(id)).Config.StopTimeout, 2);
  const ms = await timedStop(id);
  assert.ok(ms >= 1900 && ms < 9000, `stop used the container's 2s timeout (${ms}ms)`);
  assert.equal((await d.inspect(id)).State.ExitCode, 137);
  // Restart it and stop with an explicit -t 0: killed at once.
  assert.equal((await d.berth(['start', id])).code, 0);
  assert.ok((await timedStop(id, ['-t', '0'])) < 1900);
  assert.equal((await d.inspect(id)).State.ExitCode, 137);
  assert.equal((await d.berth(['rm', id])).code, 0);
});

test('--stop-signal is what berth stop sends', async () => {
  const script = 'trap "exit 10" USR1; trap "exit 12" USR2; trap "exit 15" TERM; while :; do sleep 0.1; done';
  for (const [signal, code] of [['USR1', 10], ['SIGUSR2', 12], ['10', 10]] as const) {
    const id = await detached(['--stop-signal', signal], ['sh', '-c', script]);
    assert.equal((await d.inspect(id)).Config.StopSignal, signal);
    // Give sh the moment it needs to install its traps: poll until it sleeps in the loop.
    await d.until('traps installed', async () => (await d.berth(['top', id])).stdout.includes('sleep 0.1'));
    assert.ok((await timedStop(id)) < 5000, `${signal} stopped it without the timeout`);
    assert.equal((await d.inspect(id)).State.ExitCode, code, `stop sent ${signal}`);
    assert.equal((await d.berth(['rm', id])).code, 0);
  }
  const bad = await d.berth(['run', '-d', '--stop-signal', 'NOPE', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /Invalid signal: NOPE/);
});

/** `comm state` of every process in the container. */
async function processes(id: string): Promise<string[]> {
  const r = await d.berth(['exec', id, 'sh', '-c', 'for f in /proc/[0-9]*/stat; do cut -d" " -f2,3 $f; done 2>/dev/null']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

test('--init: PID 1 is the init, which forwards SIGTERM so sleep stops at once (143), and reaps orphans', async () => {
  const id = await detached(['--init'], ['sleep', '300']);
  const ps = await d.berth(['exec', id, 'ps', '-o', 'pid,args']);
  assert.match(ps.stdout, /^\s*1\s+\/sbin\/docker-init -- sleep 300$/m);
  assert.match(ps.stdout, /^\s*\d+\s+sleep 300$/m);
  assert.equal((await d.inspect(id)).HostConfig.Init, true);
  assert.ok((await timedStop(id)) < 5000, 'no 10 s wait for the timeout');
  assert.equal((await d.inspect(id)).State.ExitCode, 143);

  // Without --init the same command is PID 1 and has to be killed.
  const plain = await detached([], ['sleep', '300']);
  assert.equal((await d.berth(['exec', plain, 'cat', '/proc/1/comm'])).stdout, 'sleep\n');
  assert.ok((await timedStop(plain, ['-t', '1'])) >= 900);
  assert.equal((await d.inspect(plain)).State.ExitCode, 137);

  // An orphan (usleep, left by a subshell) is re-parented to PID 1: sleep never reaps it, the init does.
  const orphaning = ['sh', '-c', '(usleep 300000 &); exec sleep 300'];
  const noInit = await detached([], orphaning);
  await d.until('a zombie under a PID 1 that does not reap', async () => (await processes(noInit)).includes('(usleep) Z'));
  const withInit = await detached(['--init'], orphaning);
  await d.until('sleep 300 running', async () => (await processes(withInit)).includes('(sleep) S'));
  await d.until('orphan reaped', async () => !(await processes(withInit)).some((p) => p.startsWith('(usleep)')));
  for (const c of [id, plain, noInit, withInit]) assert.equal((await d.berth(['rm', '-f', c])).code, 0);
});
