/**
 * kill -9 of berthd: containers keep running and stay manageable, exits that happen while the
 * daemon is down are recorded with their true code, restart policies and --rm resume, and the
 * store is repaired. Nothing leaks after rm: no conmon, no runc state, no cgroup, no mount.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, run } from '../helpers/test-daemon.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
});

async function start(body: Record<string, unknown>, name?: string): Promise<string> {
  const id = await d.create(body, name);
  const r = await d.api('POST', `/containers/${id}/start`);
  assert.equal(r.status, 204, r.text);
  return id;
}

function conmonPids(id: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.startsWith('conmon') || cmd.includes('/conmon\0')) if (cmd.includes(id)) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}

function cgroupDirs(id: string): string[] {
  const found: string[] = [];
  const roots = ['/sys/fs/cgroup'];
  for (const root of roots) {
    const walk = (dir: string, depth: number) => {
      if (depth > 4) return;
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e);
        if (e.includes(id)) found.push(p);
        else if (e === 'berth' || depth < 1) walk(p, depth + 1);
      }
    };
    walk(root, 0);
  }
  return found;
}

function mountsOf(id: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(id));
}

async function runcIds(): Promise<string[]> {
  const r = await run('runc', ['--root', join(d.execRoot, 'runc'), 'list', '-q']);
  return r.stdout.split('\n').filter(Boolean);
}

async function assertNoLeaks(id: string): Promise<void> {
  await d.until('conmon gone', async () => conmonPids(id).length === 0);
  assert.deepEqual(await runcIds().then((ids) => ids.filter((x) => x === id)), [], 'runc state removed');
  assert.deepEqual(cgroupDirs(id), [], 'cgroup directories removed');
  assert.deepEqual(mountsOf(id), [], 'no mounts left');
  assert.equal(existsSync(join(d.dataRoot, 'containers', id)), false, 'container directory removed');
}

test('running containers survive kill -9 of the daemon and stay manageable', async () => {
  const id = await start({ Cmd: ['sh', '-c', 'i=0; while true; do echo n$i; i=$((i+1)); sleep 0.1; done'] }, 'survivor');
  const before = await d.inspect(id);
  assert.equal(before.State.Running, true);
  // What assertNoLeaks looks for is really there while the container lives.
  assert.equal(conmonPids(id).length, 1);
  assert.ok(cgroupDirs(id).length > 0);
  assert.ok(mountsOf(id).length > 0);
  assert.ok((await runcIds()).includes(id));
  await d.kill9();
  // The container does not notice the daemon is gone.
  assert.ok(existsSync(`/proc/${before.State.Pid}`), 'container process alive while daemon is down');
  const logPath = before.LogPath as string;
  const sizeDown = readFileSync(logPath).length;
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(readFileSync(logPath).length > sizeDown, 'logs keep being written while the daemon is down');
  await d.restart();
  const after = await d.inspect(id);
  assert.equal(after.State.Running, true);
  assert.equal(after.State.Pid, before.State.Pid);
  const exec = await d.berth(['exec', 'survivor', 'echo', 'still here']);
  assert.equal(exec.stdout, 'still here\n');
  const logs = await d.berth(['logs', '--tail', '1', 'survivor']);
  assert.match(logs.stdout, /^n\d+\n$/);
  const stop = await d.berth(['stop', '-t', '1', 'survivor']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await d.inspect(id)).State.Running, false);
  assert.equal((await d.api('DELETE', `/containers/${id}`)).status, 204);
  await assertNoLeaks(id);
});

test('a container that exits while the daemon is down shows its true exit code', async () => {
  const id = await start({ Cmd: ['sh', '-c', 'sleep 1; exit 42'] });
  await d.kill9();
  await new Promise((r) => setTimeout(r, 1500));
  await d.restart();
  const info = await d.until('exit recorded', async () => {
    const i = await d.inspect(id);
    return i.State.Status === 'exited' ? i : false;
  });
  assert.equal(info.State.ExitCode, 42);
  assert.notEqual(info.State.FinishedAt, '0001-01-01T00:00:00Z');
  assert.ok(Date.parse(info.State.FinishedAt) >= Date.parse(info.State.StartedAt) + 900);
  const w = await d.api('POST', `/containers/${id}/wait`);
  assert.equal(w.json.StatusCode, 42);
  assert.equal((await d.api('DELETE', `/containers/${id}`)).status, 204);
  await assertNoLeaks(id);
});

test('restart policies and --rm resume after a crash', async () => {
  const always = await start({ Cmd: ['sh', '-c', 'sleep 1; exit 3'], HostConfig: { RestartPolicy: { Name: 'always' } } });
  const onFailureOk = await start({ Cmd: ['sh', '-c', 'sleep 1; exit 0'], HostConfig: { RestartPolicy: { Name: 'on-failure' } } });
  const autoRemove = await start({ Cmd: ['sh', '-c', 'sleep 1'], HostConfig: { AutoRemove: true } });
  const firstPid = (await d.inspect(always)).State.Pid;
  await d.kill9();
  await new Promise((r) => setTimeout(r, 1600));
  await d.restart();
  const restarted = await d.until('always container restarted', async () => {
    const i = await d.inspect(always);
    return i.State.Running && i.State.Pid !== firstPid ? i : false;
  });
  assert.ok(restarted.RestartCount >= 1);
  const ok = await d.until('on-failure container recorded', async () => {
    const i = await d.inspect(onFailureOk);
    return i.State.Status === 'exited' ? i : false;
  });
  assert.equal(ok.State.ExitCode, 0);
  assert.equal(ok.RestartCount, 0);
  await d.until('--rm container removed', async () => (await d.api('GET', `/containers/${autoRemove}/json`)).status === 404);
  await assertNoLeaks(autoRemove);
  for (const id of [always, onFailureOk]) {
    assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
    await assertNoLeaks(id);
  }
});

test('SIGTERM of the daemon leaves containers running', async () => {
  const id = await start({ Cmd: ['sleep', '300'] });
  const pid = (await d.inspect(id)).State.Pid;
  await d.stop();
  assert.ok(existsSync(`/proc/${pid}`));
  await d.restart();
  assert.equal((await d.inspect(id)).State.Pid, pid);
  assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
  await assertNoLeaks(id);
});

test('kill -9 in the middle of creating, starting and removing leaves a store the next start repairs', async () => {
  for (let round = 0; round < 3; round++) {
    const work = Array.from({ length: 6 }, async (_, i) => {
      try {
        const id = await d.create({ Cmd: ['sh', '-c', `echo ${i}; sleep 0.2`] });
        await d.api('POST', `/containers/${id}/start`);
        if (i % 2) await d.api('DELETE', `/containers/${id}?force=1`);
      } catch {
        /* the daemon died under us: that is the point */
      }
    });
    await new Promise((r) => setTimeout(r, 40 + round * 60));
    await d.kill9();
    await Promise.allSettled(work);
    await d.restart();
    const list = await d.api('GET', '/containers/json?all=1');
    assert.equal(list.status, 200);
    for (const c of list.json as Array<{ Id: string }>) {
      const i = await d.api('GET', `/containers/${c.Id}/json`);
      assert.equal(i.status, 200, `inspect of a listed container: ${i.text}`);
    }
    for (const c of list.json as Array<{ Id: string }>) {
      const r = await d.api('DELETE', `/containers/${c.Id}?force=1`);
      assert.equal(r.status, 204, r.text);
      await assertNoLeaks(c.Id);
    }
  }
  // Nothing half-made under the data root once everything is removed.
  const ingest = join(d.dataRoot, 'content', 'ingest');
  assert.deepEqual(existsSync(ingest) ? readdirSync(ingest) : [], []);
  const containersDir = join(d.dataRoot, 'containers');
  assert.deepEqual(existsSync(containersDir) ? readdirSync(containersDir) : [], []);
  const overlays = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(d.dataRoot));
  assert.deepEqual(overlays, []);
  // Still works.
  const r = await d.berth(['run', '--rm', 'busybox', 'echo', 'alive']);
  assert.equal(r.stdout, 'alive\n');
});
