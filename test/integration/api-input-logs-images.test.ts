/**
 * The parts of issue #2 that live between the lifecycle tests: hostile and malformed API input
 * (nothing may change), imports of tarballs that try to escape the root, images in use by
 * containers, log options (--tail, --timestamps, --since, --until) and event filters.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tarOf } from '../../src/util/tar/layer-fixtures.js';
import { TestDaemon } from '../helpers/test-daemon.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
});

async function containerCount(): Promise<number> {
  return ((await d.api('GET', '/containers/json?all=1')).json as unknown[]).length;
}

async function imageIds(): Promise<string[]> {
  return ((await d.api('GET', '/images/json?all=1')).json as Array<{ Id: string }>).map((i) => i.Id).sort();
}

function dirEntries(rel: string): string[] {
  const p = join(d.dataRoot, rel);
  return existsSync(p) ? readdirSync(p).sort() : [];
}

test('malformed JSON, bad names and unknown ids are refused with Docker codes and change nothing', async () => {
  const before = await containerCount();
  const raw = await d.api('POST', '/containers/create', '{"Image": "busybox", ', { 'Content-Type': 'application/json' });
  assert.equal(raw.status, 400);
  assert.match(raw.json.message, /JSON/i);
  const wrongType = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: 7 });
  assert.equal(wrongType.status, 400, wrongType.text);
  const badName = await d.api('POST', '/containers/create?name=' + encodeURIComponent('../etc'), { Image: 'busybox' });
  assert.equal(badName.status, 400);
  assert.match(badName.json.message, /Invalid container name/);
  const noImage = await d.api('POST', '/containers/create', { Image: 'no-such-image:1' });
  assert.equal(noImage.status, 404);
  assert.match(noImage.json.message, /No such image: no-such-image:1/);
  assert.equal(await containerCount(), before, 'no container was created by a refused request');

  for (const [method, path] of [
    ['GET', '/containers/0123456789ab/json'],
    ['POST', '/containers/nothere/start'],
    ['DELETE', '/containers/nothere'],
    ['GET', '/containers/nothere/logs?stdout=1'],
    ['POST', '/containers/nothere/exec'],
    ['GET', '/exec/nothere/json'],
    ['GET', '/images/nothere:1/json'],
    ['DELETE', '/images/nothere:1'],
  ] as const) {
    const r = await d.api(method, path, method === 'POST' && path.endsWith('/exec') ? { Cmd: ['true'] } : undefined);
    assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
    assert.equal(typeof r.json?.message, 'string', `${method} ${path} answers {"message"}`);
  }

  const id = await d.create({ Cmd: ['true'] }, 'taken');
  const dup = await d.api('POST', '/containers/create?name=taken', { Image: 'busybox' });
  assert.equal(dup.status, 409);
  assert.match(dup.json.message, new RegExp(`The container name "/taken" is already in use by container "${id}"`));
  const rename = await d.api('POST', `/containers/${id}/rename?name=bad/name`);
  assert.equal(rename.status, 400);
  assert.equal((await d.inspect(id)).Name, '/taken');
  await d.api('DELETE', `/containers/${id}`);
});

test('features Berth lacks answer as a Docker node without them does', async () => {
  const swarm = await d.api('GET', '/swarm');
  assert.equal(swarm.status, 503);
  assert.match(swarm.json.message, /This node is not a swarm manager/);
  const services = await d.api('GET', '/v1.45/services');
  assert.equal(services.status, 503);
  const plugins = await d.api('GET', '/plugins');
  assert.equal(plugins.status, 200);
  assert.deepEqual(plugins.json, []);
  const unknown = await d.api('GET', '/no/such/endpoint');
  assert.equal(unknown.status, 404);
  assert.equal(typeof unknown.json.message, 'string');
  const tooNew = await d.api('GET', '/v1.99/version');
  assert.equal(tooNew.status, 400);
  assert.match(tooNew.json.message, /client version 1.99 is too new/);
});

test('an import whose entries escape the root is refused, naming the entry, and stores nothing', async () => {
  const imagesBefore = await imageIds();
  const blobsBefore = dirEntries('content/blobs/sha256');
  const snapshotsBefore = dirEntries('snapshots');
  const hostile = [
    await tarOf([{ header: { name: 'ok.txt' }, content: 'fine' }, { header: { name: '../../escape.txt' }, content: 'x' }]),
    await tarOf([
      { header: { name: 'link', type: 'symlink', linkname: '/etc' } },
      { header: { name: 'link/passwd' }, content: 'root::0:0::/:/bin/sh\n' },
    ]),
    await tarOf([{ header: { name: 'hard', type: 'link', linkname: '../../../etc/shadow' } }]),
    Buffer.concat([await tarOf([{ header: { name: 'a.txt' }, content: 'a'.repeat(4096) }])]).subarray(0, 1024),
  ];
  for (const [i, body] of hostile.entries()) {
    const r = await d.api('POST', '/images/create?fromSrc=-&repo=hostile&tag=' + i, body, { 'Content-Type': 'application/x-tar' });
    // Docker streams progress with 200 and reports the failure in the stream's errorDetail.
    const failed = r.status >= 400 || /"error(Detail)?"/.test(r.text);
    assert.ok(failed, `archive ${i} was refused: ${r.status} ${r.text}`);
    assert.match(r.text, /escape|outside|link|truncated|unexpected end|invalid/i, `archive ${i}: ${r.text}`);
  }
  assert.equal(existsSync('/escape.txt'), false);
  assert.deepEqual(await imageIds(), imagesBefore, 'no image from a refused import');
  assert.deepEqual(dirEntries('content/blobs/sha256'), blobsBefore, 'no blob from a refused import');
  assert.deepEqual(dirEntries('snapshots'), snapshotsBefore, 'no snapshot from a refused import');
  assert.deepEqual(dirEntries('content/ingest'), [], 'no ingest left behind');
});

test('an image in use cannot be removed without force; tag and rmi as Docker', async () => {
  const tag = await d.berth(['tag', 'busybox', 'inuse:1']);
  assert.equal(tag.code, 0, tag.stderr);
  const id = await d.create({ Image: 'inuse:1', Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  // Another tag of the same image still exists, so untagging is allowed, as in Docker.
  const untag = await d.berth(['rmi', 'inuse:1']);
  assert.equal(untag.code, 0, untag.stderr);
  assert.match(untag.stdout, /^Untagged: inuse:1$/m);
  const refused = await d.berth(['rmi', 'busybox']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
  const byId = await d.api('DELETE', `/images/${(await d.inspect(id)).Image}`);
  assert.equal(byId.status, 409);
  assert.ok((await d.api('GET', '/images/busybox/json')).status === 200, 'the image is still there');
  const badTag = await d.api('POST', '/images/busybox/tag?repo=Bad_Repo&tag=x');
  assert.equal(badTag.status, 400);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('logs: --tail, --timestamps, --since and --until; stdout and stderr apart', async () => {
  const id = await d.create({ Cmd: ['sh', '-c', 'echo one; echo two >&2; sleep 1.2; echo three; echo four >&2'] });
  await d.api('POST', `/containers/${id}/start`);
  await d.api('POST', `/containers/${id}/wait`);
  const all = await d.berth(['logs', id]);
  assert.equal(all.stdout, 'one\nthree\n');
  assert.equal(all.stderr, 'two\nfour\n');
  const tail = await d.berth(['logs', '--tail', '1', id]);
  assert.equal(tail.stdout + tail.stderr, 'four\n');
  const stamped = await d.berth(['logs', '-t', id]);
  const lines = stamped.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (one|three)$/);
  const secondWrite = lines[1]!.split(' ')[0]!;
  const since = await d.berth(['logs', '--since', secondWrite, id]);
  assert.equal(since.stdout, 'three\n');
  assert.equal(since.stderr, 'four\n');
  const until = await d.berth(['logs', '--until', lines[0]!.split(' ')[0]!, id]);
  assert.equal(until.stdout, 'one\n');
  const future = await d.berth(['logs', '--since', '2999-01-01T00:00:00Z', id]);
  assert.equal(future.stdout + future.stderr, '');
  const bad = await d.berth(['logs', '--tail', 'many', id]);
  assert.notEqual(bad.code, 0);
});

test('events filter by type, event, container and label, over a since/until window', async () => {
  const t0 = Math.floor(Date.now() / 1000) - 1;
  const a = await d.create({ Cmd: ['true'], Labels: { pick: 'me' } }, 'ev-a');
  const b = await d.create({ Cmd: ['true'] }, 'ev-b');
  await d.api('POST', `/containers/${a}/start`);
  await d.api('POST', `/containers/${b}/start`);
  await d.api('POST', `/containers/${a}/wait`);
  await d.api('POST', `/containers/${b}/wait`);
  const t1 = Math.floor(Date.now() / 1000) + 1;
  const query = (filters: Record<string, string[]>) =>
    d.api('GET', `/events?since=${t0}&until=${t1}&filters=${encodeURIComponent(JSON.stringify(filters))}`);
  const parse = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string } });
  const onlyA = parse((await query({ container: ['ev-a'] })).text);
  assert.ok(onlyA.length >= 3);
  assert.ok(onlyA.every((e) => e.Actor.ID === a));
  const starts = parse((await query({ event: ['start'], type: ['container'] })).text);
  assert.deepEqual(new Set(starts.map((e) => e.Actor.ID)), new Set([a, b]));
  assert.ok(starts.every((e) => e.Action === 'start'));
  const labelled = parse((await query({ label: ['pick=me'] })).text);
  assert.ok(labelled.length > 0 && labelled.every((e) => e.Actor.ID === a));
  const images = parse((await query({ type: ['image'] })).text);
  assert.ok(images.every((e) => e.Type === 'image'));
  const bad = await d.api('GET', `/events?filters=${encodeURIComponent('{"nope":["x"]}')}&until=${t1}`);
  assert.equal(bad.status, 400);
  const cli = await d.berth(['events', '--since', String(t0), '--until', String(t1), '--filter', 'container=ev-b', '--filter', 'event=die', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
  assert.equal(cli.stdout, 'die ev-b\n');
});

test('exec inspect; resize reaches the terminal of a TTY container', async () => {
  const id = await d.create({ Cmd: ['sleep', '300'], Tty: true });
  await d.api('POST', `/containers/${id}/start`);
  assert.equal((await d.api('POST', `/containers/${id}/resize?h=40&w=100`)).status, 200);
  const size = await d.berth(['exec', id, 'sh', '-c', 'stty size </dev/console']);
  assert.equal(size.stdout.trim(), '40 100');
  const bad = await d.api('POST', `/containers/${id}/resize?h=x&w=1`);
  assert.equal(bad.status, 400);
  assert.equal((await d.api('POST', '/exec/nothere/resize?h=10&w=10')).status, 404);
  const ex = await d.api('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'exit 4'] });
  assert.equal(ex.status, 201);
  const before = await d.api('GET', `/exec/${ex.json.Id}/json`);
  assert.equal(before.json.Running, false);
  assert.equal(before.json.ExitCode, null);
  assert.equal(before.json.ContainerID, id);
  await d.api('POST', `/exec/${ex.json.Id}/start`, { Detach: true });
  const done = await d.until('exec exit', async () => {
    const r = await d.api('GET', `/exec/${ex.json.Id}/json`);
    return r.json.ExitCode !== null ? r.json : undefined;
  });
  assert.equal(done.ExitCode, 4);
  assert.deepEqual(done.ProcessConfig.arguments, ['-c', 'exit 4']);
  await d.api('DELETE', `/containers/${id}?force=1`);
});
