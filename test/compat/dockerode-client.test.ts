/**
 * dockerode, the most used Node client of the Engine API, against berthd: a second real client
 * beside the docker CLI, exercising the same endpoints through different code.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { TestDaemon } from '../helpers/test-daemon.js';

let d: TestDaemon;
let docker: Docker;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
  docker = new Docker({ socketPath: d.socket });
});

after(async () => {
  await d?.cleanup();
});

function collect(stream: NodeJS.ReadableStream): { out: () => string; err: () => string; demuxed: Promise<void> } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  docker.modem.demuxStream(stream, stdout, stderr);
  const demuxed = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  return { out: () => out, err: () => err, demuxed };
}

test('ping, version and info', async () => {
  const ping = await docker.ping();
  assert.equal(ping.toString(), 'OK');
  const version = await docker.version();
  assert.equal(version.ApiVersion, '1.45');
  assert.equal(version.Os, 'linux');
  const info = await docker.info();
  assert.equal(typeof info.ID, 'string');
  assert.ok(info.Images >= 1);
});

test('create, start, wait and logs with separate streams', async () => {
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 5'], Labels: { suite: 'dockerode' } });
  await c.start();
  const result = await c.wait();
  assert.equal(result.StatusCode, 5);
  const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  // Non-TTY logs come multiplexed: stream type 1/2, three zero bytes, a big-endian length.
  assert.equal(logs[0], 1);
  assert.equal(logs.readUInt32BE(4), 'to-out\n'.length);
  assert.equal(logs.subarray(8, 15).toString(), 'to-out\n');
  assert.equal(logs[15], 2);
  assert.equal(logs.subarray(23).toString(), 'to-err\n');
  const info = await c.inspect();
  assert.equal(info.State.ExitCode, 5);
  assert.equal(info.Config.Labels.suite, 'dockerode');
  const listed = await docker.listContainers({ all: true, filters: { label: ['suite=dockerode'] } });
  assert.deepEqual(listed.map((x) => x.Id), [c.id]);
  assert.equal(listed[0]!.State, 'exited');
  await c.remove();
  await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('attach with stdin: what is written reaches the container and comes back', async () => {
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read line; echo "got $line"'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
  const got = collect(stream);
  await c.start();
  stream.write('hello dockerode\n');
  await c.wait();
  await d.until('output', async () => got.out() === 'got hello dockerode\n');
  await c.remove();
});

test('exec with exit code, env, working dir and user', async () => {
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'] });
  await c.start();
  try {
    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo "$FOO $(pwd) $(id -u)"; exit 9'], Env: ['FOO=bar'], WorkingDir: '/tmp', User: 'nobody', AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const got = collect(stream);
    await got.demuxed;
    assert.equal(got.out(), 'bar /tmp 65534\n');
    const info = await d.until('exec finished', async () => {
      const i = await exec.inspect();
      return i.Running ? false : i;
    });
    assert.equal(info.ExitCode, 9);
  } finally {
    await c.remove({ force: true });
  }
});

test('events stream sees a container come and go', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'] });
  await c.start();
  await c.wait();
  await c.remove();
  const stream = (await docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { container: [c.id] } })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const actions = text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { Action: string }).Action);
  for (const a of ['create', 'start', 'die', 'destroy']) assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
  assert.ok(actions.indexOf('create') < actions.indexOf('start') && actions.indexOf('die') < actions.indexOf('destroy'));
});

test('errors come back as Docker clients expect them', async () => {
  await assert.rejects(docker.getContainer('no-such-thing').inspect(), (e: { statusCode?: number; json?: { message?: string } }) => {
    assert.equal(e.statusCode, 404);
    assert.match(e.json?.message ?? '', /No such container: no-such-thing/);
    return true;
  });
  await assert.rejects(docker.createContainer({ Image: 'nothere:1' }), (e: { statusCode?: number }) => e.statusCode === 404);
  const first = await docker.createContainer({ Image: 'busybox', name: 'twice' });
  await assert.rejects(docker.createContainer({ Image: 'busybox', name: 'twice' }), (e: { statusCode?: number }) => e.statusCode === 409);
  await first.remove();
});
