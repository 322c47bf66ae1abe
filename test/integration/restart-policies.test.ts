/**
 * Restart policies carried out by the daemon, as Docker's: no, always, on-failure[:N],
 * unless-stopped, with the back-off between restarts and their behaviour across a daemon restart.
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

async function start(cmd: string, policy: Record<string, unknown>): Promise<string> {
  const id = await d.create({ Cmd: ['sh', '-c', cmd], HostConfig: { RestartPolicy: policy } });
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  return id;
}

async function remove(id: string): Promise<void> {
  assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
}

test('no: an exited container stays exited', async () => {
  const id = await start('exit 1', { Name: 'no' });
  const i = await d.until('exited', async () => {
    const x = await d.inspect(id);
    return x.State.Status === 'exited' ? x : false;
  });
  await new Promise((r) => setTimeout(r, 500));
  const again = await d.inspect(id);
  assert.equal(again.RestartCount, 0);
  assert.equal(again.State.StartedAt, i.State.StartedAt);
  await remove(id);
});

test('on-failure:N restarts failed runs N times, then keeps the last exit code', async () => {
  const id = await start('exit 4', { Name: 'on-failure', MaximumRetryCount: 3 });
  const events: number[] = [];
  const i = await d.until(
    'three restarts',
    async () => {
      const x = await d.inspect(id);
      if (!events.includes(x.RestartCount)) events.push(x.RestartCount);
      return x.State.Status === 'exited' && x.RestartCount === 3 ? x : false;
    },
    30_000,
  );
  assert.equal(i.State.ExitCode, 4);
  // Stays exited: no fourth restart.
  await new Promise((r) => setTimeout(r, 1500));
  const later = await d.inspect(id);
  assert.equal(later.RestartCount, 3);
  assert.equal(later.State.Status, 'exited');
  await remove(id);
});

test('on-failure does not restart a successful exit', async () => {
  const id = await start('exit 0', { Name: 'on-failure' });
  await d.until('exited', async () => (await d.inspect(id)).State.Status === 'exited');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await d.inspect(id)).RestartCount, 0);
  await remove(id);
});

test('always restarts with a doubling back-off, and stop keeps it stopped', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const id = await start('exit 0', { Name: 'always' });
  try {
    await d.until('four restarts', async () => (await d.inspect(id)).RestartCount >= 4, 30_000);
    // The daemon's own events give every die and start (polling inspect could miss a restart).
    const until = Math.floor(Date.now() / 1000) + 1;
    const filters = encodeURIComponent(JSON.stringify({ container: [id], event: ['start', 'die'] }));
    const events = (await d.api('GET', `/events?since=${since}&until=${until}&filters=${filters}`)).text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { Action: string; timeNano: number });
    // Delay from each exit to the next start: Docker waits 100 ms, then doubles each time.
    const delays: number[] = [];
    for (let k = 0; k + 1 < events.length; k++) {
      if (events[k]!.Action === 'die' && events[k + 1]!.Action === 'start') delays.push((events[k + 1]!.timeNano - events[k]!.timeNano) / 1e6);
    }
    assert.ok(delays.length >= 3, `restarts seen in events: ${events.map((e) => e.Action).join(',')}`);
    // Lower bounds only: a loaded machine adds to a delay but never shortens one.
    delays.slice(0, 4).forEach((ms, k) => assert.ok(ms >= 100 * 2 ** k * 0.9, `delay ${k} is at least ${100 * 2 ** k} ms: ${delays.map((x) => x.toFixed(0)).join(', ')}`));
    const stop = await d.api('POST', `/containers/${id}/stop?t=1`);
    assert.ok(stop.status === 204 || stop.status === 304);
    const count = (await d.inspect(id)).RestartCount;
    await new Promise((r) => setTimeout(r, 1500));
    const after = await d.inspect(id);
    assert.equal(after.State.Running, false);
    assert.equal(after.RestartCount, count);
  } finally {
    await remove(id);
  }
});

test('across a daemon restart: always comes back, unless-stopped stopped by hand does not', async () => {
  const always = await start('sleep 300', { Name: 'always' });
  const unless = await start('sleep 300', { Name: 'unless-stopped' });
  const unlessRunning = await start('sleep 300', { Name: 'unless-stopped' });
  for (const id of [always, unless]) assert.equal((await d.api('POST', `/containers/${id}/stop?t=0`)).status, 204);
  await d.stop();
  await d.restart();
  await d.until('always started at daemon start', async () => (await d.inspect(always)).State.Running);
  assert.equal((await d.inspect(unlessRunning)).State.Running, true);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await d.inspect(unless)).State.Running, false);
  for (const id of [always, unless, unlessRunning]) await remove(id);
});

test('invalid policies are refused as Docker does', async () => {
  const bad = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'sometimes' } } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /invalid restart policy/);
  const retries = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } } });
  assert.equal(retries.status, 400);
  assert.match(retries.json.message, /maximum retry count can only be used with 'on-failure'/);
  const withRm = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } });
  assert.equal(withRm.status, 400);
  const cli = await d.berth(['run', '--rm', '--restart', 'always', 'busybox', 'true']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /--restart.*--rm|conflicting options|AutoRemove/i);
  const list = await d.api('GET', '/containers/json?all=1');
  assert.deepEqual(list.json, []);
});
