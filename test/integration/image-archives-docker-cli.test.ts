/**
 * The docker CLI against berthd for archives and image maintenance: docker save | docker load,
 * save -o / load -i, docker history, docker image prune, docker system df; and berth's own
 * output for the same daemon state set beside docker's, cell for cell.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { dockerArchiveOf, fixtureImage } from '../../src/images/archive/archive-fixtures.js';
import { tarOf } from '../../src/util/tar/layer-fixtures.js';
import { TestDaemon, dockerCli, run } from '../helpers/test-daemon.js';
import { appImage, busyboxLayer, loadArchive } from '../helpers/layered-images.js';

let d: TestDaemon;
let base: Buffer;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
  base = await busyboxLayer(d);
  const v1 = await appImage(base, { tags: ['app:1'], created: '2024-03-01T10:00:00Z' });
  const v2 = await appImage(base, { tags: ['app:2', 'app:latest'], v2: true, created: '2024-03-02T10:00:00Z' });
  await loadArchive(d, await dockerArchiveOf([v1, v2]));
});

after(async () => {
  await d?.cleanup();
});

/** A shell pipeline with the docker CLI pointed at the test daemon. */
function shell(script: string): ReturnType<typeof run> {
  return run('sh', ['-c', script], { env: { ...process.env, DOCKER: `${dockerCli} -H ${d.host}`, DOCKER_CONFIG: join(d.dir, 'docker-config') }, timeoutMs: 300_000 });
}

/** Table rows split into cells, with relative times (which move between two runs) blanked. */
function cells(table: string): string[][] {
  return table
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/ {2,}/).map((c) => c.trim()).map((c) => (/ ago$/.test(c) ? '<ago>' : c)));
}

test('docker save | docker load round trip through berthd', async () => {
  const saved = await shell('$DOCKER save app:2 app:1 > "$0" && $DOCKER rmi app:1 app:2 app:latest >/dev/null && $DOCKER load < "$0"'.replace(/"\$0"/g, join(d.dir, 'piped.tar')));
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(saved.stdout.split('\n').filter(Boolean).sort().join('\n'), ['Loaded image: app:1', 'Loaded image: app:2'].join('\n'));
  const pipe = await shell('$DOCKER rmi app:1 >/dev/null && $DOCKER save app:1 2>&1; true');
  assert.match(pipe.stdout, /No such image: app:1|reference does not exist/);
  const direct = await shell(`$DOCKER save app:2 | $DOCKER load`);
  assert.equal(direct.code, 0, direct.stderr);
  assert.equal(direct.stdout, 'Loaded image: app:2\n');
  const r = await d.docker(['run', '--rm', 'app:2', '/app/run.sh']);
  assert.equal(r.stdout, 'running v2\n');
  const back = await d.docker(['load', '-i', join(d.dir, 'piped.tar')]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal((await d.docker(['run', '--rm', 'app:1', '/app/run.sh'])).stdout, 'running v1\n');
});

test('docker save -o and docker load -i; a refused archive makes docker load fail with the reason', async () => {
  const file = join(d.dir, 'docker-o.tar');
  const s = await d.docker(['save', '-o', file, 'app:2', 'busybox']);
  assert.equal(s.code, 0, s.stderr);
  assert.ok(existsSync(file));
  const manifest = (await run('tar', ['-xOf', file, 'manifest.json'])).stdout;
  assert.deepEqual((JSON.parse(manifest) as Array<{ RepoTags: string[] }>).map((m) => m.RepoTags.sort()).sort(), [['app:2'], ['busybox:latest']]);
  await d.docker(['rmi', 'app:2']);
  const l = await d.docker(['load', '-i', file]);
  assert.equal(l.code, 0, l.stderr);
  assert.equal(l.stdout.split('\n').filter(Boolean).sort().join('\n'), 'Loaded image: app:2\nLoaded image: busybox:latest');
  assert.equal(readFileSync(file).subarray(0, 4).length, 4);

  const bad = join(d.dir, 'bad.tar');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(bad, await tarOf([{ header: { name: 'manifest.json' }, content: '[{"Config":"../../etc/passwd","Layers":[]}]' }]));
  const refused = await d.docker(['load', '-i', bad]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /invalid archive: manifest\.json\[0\]\.Config "\.\.\/\.\.\/etc\/passwd" escapes the archive/);
});

test('docker history shows the table berth history shows', async () => {
  const dh = await d.docker(['history', 'app:2']);
  assert.equal(dh.code, 0, dh.stderr);
  const lines = dh.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.equal(lines.length, 4);
  assert.match(lines[1]!, /^[a-f0-9]{12}\s+\d+ (months|years) ago\s+\/bin\/sh -c step 2 && echo <done>\s+\d/);
  assert.match(lines[2]!, /^<missing>\s/);
  const bh = await d.berth(['history', 'app:2']);
  assert.equal(bh.stdout, dh.stdout);
  for (const args of [['--no-trunc'], ['-q'], ['-H=false'], ['--format', '{{.ID}} {{.Size}} {{.CreatedBy}}'], ['--format', 'json'], ['--format', 'table {{.CreatedBy}}\t{{.Size}}']]) {
    const a = await d.docker(['history', ...args, 'app:2']);
    const b = await d.berth(['history', ...args, 'app:2']);
    assert.equal(b.stdout, a.stdout, `history ${args.join(' ')}`);
  }
  const missing = await d.docker(['history', 'nothere:1']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such image: nothere:1/);
});

test('docker system df and berth system df agree', async () => {
  const ctr = await d.create({ Image: 'app:1', Cmd: ['true'] }, 'df-user');
  for (const args of [[], ['-v'], ['--format', '{{.Type}}: {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}}'], ['--format', 'json']]) {
    const a = await d.docker(['system', 'df', ...args]);
    const b = await d.berth(['system', 'df', ...args]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(cells(b.stdout), cells(a.stdout), `system df ${args.join(' ')}`);
  }
  const summary = cells((await d.docker(['system', 'df'])).stdout);
  assert.deepEqual(summary[0], ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']);
  assert.deepEqual(summary[1]!.slice(0, 3), ['Images', '3', '1']);
  assert.deepEqual(summary[2]!.slice(0, 3), ['Containers', '1', '0']);
  assert.deepEqual(summary.slice(3).map((r) => r.join(' ')), ['Local Volumes 0 0 0B 0B', 'Build Cache 0 0 0B 0B']);
  await d.api('DELETE', `/containers/${ctr}`);
});

test('docker image prune removes dangling images, -a every unused one, and prints what berth prints', async () => {
  const own = (n: number) => tarOf([{ header: { name: `dangling-${n}` }, content: `only in image ${n}\n`.repeat(100) }]);
  const load = async (n: number) => {
    const msgs = await loadArchive(d, await dockerArchiveOf([fixtureImage({ layers: [base, await own(n)], created: '2021-01-01T00:00:00Z', cmd: [String(n)] })]));
    return /sha256:[a-f0-9]{64}/.exec(msgs[0]!.stream!)![0];
  };
  const first = await load(1);
  const p = await d.docker(['image', 'prune', '-f']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, new RegExp(`^Deleted Images:\\ndeleted: ${first}\\n\\nTotal reclaimed space: \\d+(\\.\\d+)?kB\\n$`));
  const second = await load(2);
  const b = await d.berth(['image', 'prune', '-f']);
  assert.equal(b.stdout, p.stdout.replace(first, second));
  const none = await d.docker(['image', 'prune', '-f']);
  assert.equal(none.stdout, 'Total reclaimed space: 0B\n');
  const ctr = await d.create({ Image: 'app:1', Cmd: ['true'] });
  const all = await d.docker(['image', 'prune', '-a', '-f', '--filter', 'until=2024-03-02T00:00:00Z']);
  assert.equal(all.code, 0, all.stderr);
  // app:1 (used by a container) stays, app:2 is newer than `until`, busybox is too; nothing else exists.
  assert.equal(all.stdout, 'Total reclaimed space: 0B\n');
  const everything = await d.docker(['image', 'prune', '-a', '-f']);
  assert.match(everything.stdout, /untagged: app:2\n/);
  assert.match(everything.stdout, /untagged: busybox:latest\n/);
  const left = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.equal(left.stdout, 'app:1\n');
  await d.api('DELETE', `/containers/${ctr}`);
});
