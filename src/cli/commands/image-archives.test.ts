/** save, load, history, image prune and system df against a fake client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { ContainerSummary, DiskUsage, HistoryResponseItem, ImageSummary, JsonMessage } from '../../api/client/index.js';
import { runCli, stdinOf } from '../test-support.js';

const NOW = 1_700_000_000_000;
const nowS = NOW / 1000;
const id = 'sha256:' + 'c'.repeat(64);

async function* messages(list: JsonMessage[]): AsyncGenerator<JsonMessage> {
  yield* list;
}

test('save refuses a terminal, streams to stdout otherwise, and writes -o files whole or not at all', async () => {
  const tty = await runCli(['save', 'busybox'], { tty: { rows: 24, columns: 80 } });
  assert.equal(tty.code, 1);
  assert.equal(tty.stderr, 'cowardly refusing to save to a terminal. Use the -o flag or redirect\n');

  const body = () => Readable.from([Buffer.from('tar-bytes-'), Buffer.from('end')]);
  const r = await runCli(['save', 'busybox', 'app:1'], { client: { imageSave: async () => body() } });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'tar-bytes-end');
  assert.deepEqual(r.calls[0], ['imageSave', ['busybox', 'app:1'], { format: 'docker' }]);

  const dir = mkdtempSync(join(tmpdir(), 'berth-save-'));
  try {
    const out = join(dir, 'images.tar');
    const ok = await runCli(['image', 'save', '--format', 'oci', '-o', out, 'busybox'], { client: { imageSave: async () => body() } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readFileSync(out, 'utf8'), 'tar-bytes-end');
    assert.deepEqual(ok.calls[0]![2], { format: 'oci' });

    const broken = () => {
      const s = new PassThrough();
      s.write('partial');
      setImmediate(() => s.destroy(new Error('aborted')));
      return s;
    };
    const cut = await runCli(['save', '-o', join(dir, 'cut.tar'), 'busybox'], { client: { imageSave: async () => broken() } });
    assert.equal(cut.code, 1);
    assert.equal(cut.stderr, 'failed to save image: the daemon ended the archive early\n');
    assert.deepEqual(readdirSync(dir), ['images.tar'], 'no partial or temporary file is left');

    const noDir = await runCli(['save', '-o', join(dir, 'nope', 'x.tar'), 'busybox']);
    assert.equal(noDir.code, 1);
    assert.match(noDir.stderr, /^failed to save image: invalid output path: directory ".*\/nope" does not exist\n$/);
    const badFormat = await runCli(['save', '--format', 'zip', 'busybox']);
    assert.equal(badFormat.code, 125);
    assert.match(badFormat.stderr, /invalid argument "zip" for "--format" flag: use "docker" or "oci"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('load prints what the daemon reports, quietly unless stdout is a terminal', async () => {
  const report: JsonMessage[] = [{ stream: 'Loaded image: busybox:latest\n' }, { stream: `Loaded image ID: ${id}\n` }];
  const r = await runCli(['load'], { stdin: stdinOf('archive'), client: { imageLoad: (() => messages(report)) as never } });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `Loaded image: busybox:latest\nLoaded image ID: ${id}\n`);
  assert.equal((r.calls[0]![2] as { quiet: boolean }).quiet, true);

  const progress: JsonMessage[] = [
    { status: 'Loading layer', id: 'aaaaaaaaaaaa', progressDetail: { current: 0, total: 10 }, progress: '[>   ] 0B/10B' },
    { status: 'Loading layer', id: 'aaaaaaaaaaaa', progressDetail: { current: 10, total: 10 }, progress: '[===>] 10B/10B' },
    { stream: 'Loaded image: app:1\n' },
  ];
  const t = await runCli(['load'], { tty: { rows: 24, columns: 80 }, stdin: stdinOf('x'), client: { imageLoad: (() => messages(progress)) as never } });
  assert.equal((t.calls[0]![2] as { quiet: boolean }).quiet, false);
  assert.equal(t.stdout, '\r\x1b[2Kaaaaaaaaaaaa: Loading layer [>   ] 0B/10B\r\x1b[2Kaaaaaaaaaaaa: Loading layer [===>] 10B/10B\nLoaded image: app:1\n');

  const failed = await runCli(['load', '-q'], { stdin: stdinOf('x'), client: { imageLoad: (() => messages([{ errorDetail: { message: 'invalid archive: nope' }, error: 'invalid archive: nope' }])) as never } });
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr, 'invalid archive: nope\n');

  const ttyIn = Object.assign(stdinOf(''), { isTTY: true });
  const empty = await runCli(['load'], { stdin: ttyIn });
  assert.equal(empty.stderr, 'requested load from stdin, but stdin is empty\n');
  const missing = await runCli(['load', '-i', '/nonexistent/x.tar']);
  assert.equal(missing.stderr, 'open /nonexistent/x.tar: no such file or directory\n');
});

const history: HistoryResponseItem[] = [
  { Id: id, Created: nowS - 3600 * 5, CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]', Tags: ['busybox:latest'], Size: 0, Comment: '' },
  { Id: '<missing>', Created: nowS - 86400 * 40, CreatedBy: '/bin/sh -c #(nop) ADD file:6b3c8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70 in / ', Tags: null, Size: 4_261_550, Comment: 'base\tlayer' },
  { Id: '<missing>', Created: 0, CreatedBy: '', Tags: null, Size: 12, Comment: '' },
];

test("history prints docker's table, -H=false, -q, --no-trunc and templates", async () => {
  const client = { imageHistory: async () => history };
  const r = await runCli(['history', 'busybox'], { now: NOW, client });
  assert.equal(r.code, 0);
  assert.equal(
    r.stdout,
    [
      'IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT',
      'cccccccccccc   5 hours ago   /bin/sh -c #(nop)  CMD ["sh"]                   0B        ',
      // A tab in a comment starts a new cell, as in docker's tabwriter.
      '<missing>      5 weeks ago   /bin/sh -c #(nop) ADD file:6b3c8f1a2b3c4d5e6…   4.26MB    base      layer',
      '<missing>      N/A                                                           12B       ',
      '',
    ].join('\n'),
  );
  const q = await runCli(['image', 'history', '-q', 'busybox'], { client });
  assert.equal(q.stdout, 'cccccccccccc\n<missing>\n<missing>\n');
  const full = await runCli(['history', '-q', '--no-trunc', 'busybox'], { client });
  assert.equal(full.stdout, `${id}\n<missing>\n<missing>\n`);
  const raw = await runCli(['history', '-H=false', '--format', '{{.CreatedSince}}|{{.Size}}', 'busybox'], { client });
  assert.match(raw.stdout.split('\n')[1]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\|4261550$/);
  const json = await runCli(['history', '--format', 'json', 'busybox'], { now: NOW, client });
  assert.equal(JSON.parse(json.stdout.split('\n')[0]!).CreatedSince, '5 hours ago');
  assert.deepEqual(Object.keys(JSON.parse(json.stdout.split('\n')[0]!)), ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size']);
  const bad = await runCli(['history', '--format', '{{.Nope}}', 'busybox'], { client });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /can't evaluate field Nope in type \*image\.historyContext/);
});

test('image prune asks first, adds dangling to the filters and prints docker\'s report', async () => {
  const report = { ImagesDeleted: [{ Untagged: 'app:1' }, { Deleted: id }], SpaceReclaimed: 4_261_550 };
  const no = await runCli(['image', 'prune'], { stdin: stdinOf('n\n') });
  assert.equal(no.code, 0);
  assert.equal(no.stdout, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
  const all = await runCli(['image', 'prune', '-a', '--filter', 'until=24h', '--filter', 'label=x=y'], { stdin: stdinOf('y\n'), client: { imagePrune: async () => report } });
  assert.equal(
    all.stdout,
    `WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] Deleted Images:\nuntagged: app:1\ndeleted: ${id}\n\nTotal reclaimed space: 4.262MB\n`,
  );
  assert.deepEqual(all.calls[0]![1], { until: ['24h'], label: ['x=y'], dangling: ['false'] });
  const none = await runCli(['image', 'prune', '-f'], { client: { imagePrune: async () => ({ ImagesDeleted: null, SpaceReclaimed: 0 }) } });
  assert.equal(none.stdout, 'Total reclaimed space: 0B\n');
  assert.deepEqual(none.calls[0]![1], { dangling: ['true'] });
});

function img(over: Partial<ImageSummary>): ImageSummary {
  return { Id: id, ParentId: '', RepoTags: ['busybox:latest'], RepoDigests: [], Created: nowS - 86400 * 3, Size: 2_000_000, SharedSize: 0, Labels: {}, Containers: 0, ...over };
}

function ctr(over: Partial<ContainerSummary>): ContainerSummary {
  return { Id: 'f'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: id, Command: 'sleep 1000', Created: nowS - 60, Ports: [], Labels: {}, State: 'running', Status: 'Up About a minute', Mounts: [], ...over };
}

const du: DiskUsage = {
  LayersSize: 3_000_000,
  Images: [img({ Containers: 2, SharedSize: 1_000_000 }), img({ Id: 'sha256:' + 'd'.repeat(64), RepoTags: ['app:1'], Size: 1_500_000, SharedSize: 1_000_000, Created: nowS - 7200 })],
  Containers: [ctr({ SizeRw: 1000, SizeRootFs: 2_001_000 }), ctr({ Id: 'e'.repeat(64), Names: ['/old'], State: 'exited', Status: 'Exited (0) 2 minutes ago', SizeRw: 3000 })],
  Volumes: [],
  BuildCache: [],
};

test("system df prints docker's summary, -v tables and templates", async () => {
  const client = { diskUsage: async () => du };
  const r = await runCli(['system', 'df'], { now: NOW, client });
  assert.equal(
    r.stdout,
    [
      'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE',
      'Images          2         1         3MB       2MB (66%)',
      'Containers      2         1         4kB       3kB (75%)',
      'Local Volumes   0         0         0B        0B',
      'Build Cache     0         0         0B        0B',
      '',
    ].join('\n'),
  );
  const v = await runCli(['system', 'df', '-v'], { now: NOW, client });
  assert.equal(
    v.stdout,
    [
      'Images space usage:',
      '',
      'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS',
      'busybox      latest    cccccccccccc   3 days ago    2MB       1MB           1MB           2',
      'app          1         dddddddddddd   2 hours ago   1.5MB     1MB           500kB         0',
      '',
      'Containers space usage:',
      '',
      'CONTAINER ID   IMAGE     COMMAND        LOCAL VOLUMES   SIZE      CREATED              STATUS                     NAMES',
      'ffffffffffff   busybox   "sleep 1000"   0               1kB       About a minute ago   Up About a minute          web',
      'eeeeeeeeeeee   busybox   "sleep 1000"   0               3kB       About a minute ago   Exited (0) 2 minutes ago   old',
      '',
      'Local Volumes space usage:',
      '',
      'VOLUME NAME   LINKS     SIZE',
      '',
      'Build cache usage: 0B',
      '',
      'CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED',
      '',
    ].join('\n'),
  );
  const json = await runCli(['system', 'df', '--format', 'json'], { client });
  assert.deepEqual(JSON.parse(json.stdout.split('\n')[0]!), { Active: '1', Reclaimable: '2MB (66%)', Size: '3MB', TotalCount: '2', Type: 'Images' });
  const t = await runCli(['system', 'df', '--format', '{{.Type}}={{.Size}}'], { client });
  assert.equal(t.stdout, 'Images=3MB\nContainers=4kB\nLocal Volumes=0B\nBuild Cache=0B\n');
  const vt = await runCli(['system', 'df', '-v', '--format', '{{range .Images}}{{.Repository}}:{{.Tag}} {{end}}'], { client });
  assert.equal(vt.stdout, 'busybox:latest app:1 ');
  const vj = await runCli(['system', 'df', '-v', '--format', 'json'], { client });
  const parsed = JSON.parse(vj.stdout);
  assert.deepEqual(Object.keys(parsed), ['Images', 'Containers', 'Volumes', 'BuildCache']);
  assert.equal(parsed.Images[1].Repository, 'app');
  assert.equal(parsed.Images[0].ID, id, 'a custom template does not truncate');
});
