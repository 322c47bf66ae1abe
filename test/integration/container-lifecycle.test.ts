/**
 * The container lifecycle through the Engine API against a real berthd, runc and conmon:
 * create, start, stop, kill, restart, pause, rename, wait, remove, with Docker's status codes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/test-daemon.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
});

test('a container runs its command and records the exit code', async () => {
  const id = await d.create({ Cmd: ['sh', '-c', 'exit 3'] });
  const waited = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
  const s = await d.api('POST', `/containers/${id}/start`);
  assert.equal(s.status, 204);
  const w = await waited;
  assert.equal(w.status, 200);
  assert.equal(w.json.StatusCode, 3);
  const info = await d.inspect(id);
  assert.equal(info.State.Status, 'exited');
  assert.equal(info.State.ExitCode, 3);
  assert.equal(info.State.Running, false);
  assert.notEqual(info.State.FinishedAt, '0001-01-01T00:00:00Z');
  assert.equal(info.Path, 'sh');
  assert.deepEqual(info.Args, ['-c', 'exit 3']);
});

test('start of a running container answers 304, stop of a stopped one too', async () => {
  const id = await d.create({ Cmd: ['sleep', '300'] });
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 304);
  const t0 = Date.now();
  assert.equal((await d.api('POST', `/containers/${id}/stop?t=5`)).status, 204);
  // sleep as PID 1 has no SIGTERM handler, so the kernel ignores TERM: the stop ends in SIGKILL.
  assert.ok(Date.now() - t0 >= 4500, 'stop waited for the timeout before SIGKILL');
  const info = await d.inspect(id);
  assert.equal(info.State.ExitCode, 137);
  assert.equal((await d.api('POST', `/containers/${id}/stop`)).status, 304);
});

test('stop delivers the stop signal to a process that handles it', async () => {
  const id = await d.create({ Cmd: ['sh', '-c', 'trap "exit 42" TERM; while true; do sleep 0.1; done'] });
  await d.api('POST', `/containers/${id}/start`);
  const t0 = Date.now();
  assert.equal((await d.api('POST', `/containers/${id}/stop?t=10`)).status, 204);
  assert.ok(Date.now() - t0 < 5000, 'a process that exits on TERM is not killed after the timeout');
  assert.equal((await d.inspect(id)).State.ExitCode, 42);
});

test('kill sends the given signal; a stopped container cannot be killed', async () => {
  const id = await d.create({ Cmd: ['sh', '-c', 'trap "exit 7" USR1; while true; do sleep 0.1; done'] });
  await d.api('POST', `/containers/${id}/start`);
  const waited = d.api('POST', `/containers/${id}/wait`);
  assert.equal((await d.api('POST', `/containers/${id}/kill?signal=USR1`)).status, 204);
  assert.equal((await waited).json.StatusCode, 7);
  const again = await d.api('POST', `/containers/${id}/kill`);
  assert.equal(again.status, 409);
  assert.match(again.json.message, /is not running/);
  const bad = await d.api('POST', `/containers/${id}/kill?signal=NOPE`);
  assert.ok(bad.status === 400 || bad.status === 409);
});

test('pause freezes and unpause resumes; errors in the wrong state', async () => {
  const id = await d.create({ Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  assert.equal((await d.api('POST', `/containers/${id}/pause`)).status, 204);
  let info = await d.inspect(id);
  assert.equal(info.State.Status, 'paused');
  assert.equal(info.State.Paused, true);
  assert.equal((await d.api('POST', `/containers/${id}/pause`)).status, 409);
  assert.equal((await d.api('DELETE', `/containers/${id}`)).status, 409);
  assert.equal((await d.api('POST', `/containers/${id}/unpause`)).status, 204);
  info = await d.inspect(id);
  assert.equal(info.State.Status, 'running');
  assert.equal((await d.api('POST', `/containers/${id}/unpause`)).status, 409);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('restart runs the container again and keeps its identity', async () => {
  const id = await d.create({ Cmd: ['sleep', '300'] }, 'restart-me');
  await d.api('POST', `/containers/${id}/start`);
  const first = (await d.inspect(id)).State;
  assert.equal((await d.api('POST', `/containers/${id}/restart?t=0`)).status, 204);
  const second = (await d.inspect(id)).State;
  assert.equal(second.Running, true);
  assert.notEqual(second.Pid, first.Pid);
  assert.notEqual(second.StartedAt, first.StartedAt);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('rename changes the name and refuses a taken or invalid one', async () => {
  const a = await d.create({ Cmd: ['true'] }, 'rename-a');
  await d.create({ Cmd: ['true'] }, 'rename-b');
  assert.equal((await d.api('POST', `/containers/rename-a/rename?name=rename-c`)).status, 204);
  assert.equal((await d.inspect(a)).Name, '/rename-c');
  const taken = await d.api('POST', `/containers/rename-c/rename?name=rename-b`);
  assert.equal(taken.status, 409);
  assert.match(taken.json.message, /already in use/);
  assert.equal((await d.api('POST', `/containers/rename-c/rename?name=bad%20name`)).status, 400);
  assert.equal((await d.api('GET', `/containers/rename-a/json`)).status, 404);
});

test('remove refuses a running container unless forced, and cleans up everything', async () => {
  const id = await d.create({ Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  const info = await d.inspect(id);
  const refused = await d.api('DELETE', `/containers/${id}`);
  assert.equal(refused.status, 409);
  assert.match(refused.json.message, /container is running: stop the container before removing or force remove/);
  assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
  assert.equal((await d.api('GET', `/containers/${id}/json`)).status, 404);
  const { readFileSync, existsSync } = await import('node:fs');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.ok(!mounts.includes(id), 'no mount of the container is left');
  assert.ok(!existsSync(`${d.dataRoot}/containers/${id}`), 'the bundle directory is gone');
  assert.ok(!existsSync(`/sys/fs/cgroup/memory/berth/${id}`) && !existsSync(`/sys/fs/cgroup/berth/${id}`), 'the cgroup is gone');
  let conmonAlive = true;
  try {
    process.kill(info.State.Pid, 0);
  } catch {
    conmonAlive = false;
  }
  assert.equal(conmonAlive, false, 'the container process is gone');
  const ps = readFileSync('/proc/loadavg', 'utf8');
  assert.ok(ps.length > 0);
});

test('wait with condition=removed returns after auto-remove', async () => {
  const id = await d.create({ Cmd: ['sh', '-c', 'exit 5'], HostConfig: { AutoRemove: true } });
  const waited = d.api('POST', `/containers/${id}/wait?condition=removed`);
  await d.api('POST', `/containers/${id}/start`);
  const w = await waited;
  assert.equal(w.json.StatusCode, 5);
  assert.equal((await d.api('GET', `/containers/${id}/json`)).status, 404);
});

test('a command that does not exist fails the start with 127 as Docker does', async () => {
  const id = await d.create({ Cmd: ['/no/such/binary'] });
  const r = await d.api('POST', `/containers/${id}/start`);
  assert.equal(r.status, 400);
  assert.match(r.json.message, /no such file or directory|executable file not found/);
  const info = await d.inspect(id);
  assert.equal(info.State.ExitCode, 127);
  assert.equal(info.State.Running, false);
  assert.ok(info.State.Error.length > 0);
});

test('list filters by status, name, label and id', async () => {
  const id = await d.create({ Cmd: ['sleep', '300'], Labels: { tier: 'web' } }, 'listed-one');
  await d.api('POST', `/containers/${id}/start`);
  const running = await d.api('GET', `/containers/json`);
  assert.ok(running.json.some((c: { Id: string }) => c.Id === id));
  const byLabel = await d.api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['tier=web'] }))}`);
  assert.deepEqual(byLabel.json.map((c: { Id: string }) => c.Id), [id]);
  const byName = await d.api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: ['listed-one'] }))}`);
  assert.equal(byName.json[0].Names[0], '/listed-one');
  assert.equal(byName.json[0].State, 'running');
  assert.match(byName.json[0].Status, /^Up /);
  const exited = await d.api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ status: ['exited'] }))}`);
  assert.ok(exited.json.every((c: { State: string }) => c.State === 'exited'));
  const bad = await d.api('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ bogus: ['x'] }))}`);
  assert.equal(bad.status, 400);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('prune removes stopped containers only', async () => {
  const stopped = await d.create({ Cmd: ['true'] });
  const running = await d.create({ Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${running}/start`);
  const r = await d.api('POST', '/containers/prune');
  assert.equal(r.status, 200);
  assert.ok(r.json.ContainersDeleted.includes(stopped));
  assert.ok(!r.json.ContainersDeleted.includes(running));
  assert.equal((await d.api('GET', `/containers/${running}/json`)).status, 200);
  await d.api('DELETE', `/containers/${running}?force=1`);
});
