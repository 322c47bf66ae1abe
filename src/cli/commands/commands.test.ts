import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, type ContainerSummary, type ImageSummary } from '../../api/client/index.js';
import { FakeConn, frame, runCli, stdinOf } from '../test-support.js';
import { busyboxEntries } from './image-bootstrap.js';
import { EscapeProxy, parseDetachKeys } from './hijack-stream.js';
import { toApiTimestamp } from './timestamps.js';
import { serverInfoText } from './system-info.js';
import { versionText } from './system-version.js';
import { eventLine } from './system-events.js';

const NOW = 1_700_000_000_000;
const nowS = NOW / 1000;

function container(over: Partial<ContainerSummary>): ContainerSummary {
  return { Id: '0123456789abcdef'.repeat(4), Names: ['/web'], Image: 'busybox', ImageID: 'sha256:' + 'a'.repeat(64), Command: 'sh', Created: nowS - 7200, Ports: [], Labels: {}, State: 'running', Status: 'Up 2 hours', ...over };
}

test('ps prints docker\'s table', async () => {
  const list = [container({}), container({ Id: 'f'.repeat(64), Names: ['/db'], Image: 'docker.io/library/redis:7', Command: "redis-server --appendonly yes --save ''", Created: nowS - 30, State: 'exited', Status: 'Exited (0) 5 seconds ago', Ports: [{ IP: '0.0.0.0', PrivatePort: 6379, PublicPort: 6379, Type: 'tcp' }] })];
  const r = await runCli(['ps', '-a'], { now: NOW, client: { containerList: async () => list } });
  assert.equal(r.code, 0);
  assert.equal(
    r.stdout,
    [
      'CONTAINER ID   IMAGE     COMMAND                  CREATED          STATUS                     PORTS                    NAMES',
      '0123456789ab   busybox   "sh"                     2 hours ago      Up 2 hours                                          web',
      'ffffffffffff   redis:7   "redis-server --appe…"   30 seconds ago   Exited (0) 5 seconds ago   0.0.0.0:6379->6379/tcp   db',
      '',
    ].join('\n'),
  );
  assert.deepEqual(r.calls[0]![1], { all: true, limit: -1, size: false, filters: {} });
});

test('ps options become list options; -q prints ids', async () => {
  const r = await runCli(['ps', '-q', '-l', '--filter', 'status=exited', '-f', 'label=a=b', '--no-trunc'], { client: { containerList: async () => [container({})] } });
  assert.equal(r.stdout, `${'0123456789abcdef'.repeat(4)}\n`);
  assert.deepEqual(r.calls[0]![1], { all: false, limit: 1, size: false, filters: { status: ['exited'], label: ['a=b'] } });
  const s = await runCli(['ps', '--format', '{{.Names}} {{.Size}}'], { client: { containerList: async () => [container({ SizeRw: 2048 })] } });
  assert.equal(s.stdout, 'web 2.05kB\n');
  assert.equal((s.calls[0]![1] as { size: boolean }).size, true);
  const bad = await runCli(['ps', '--filter', 'nonsense']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^invalid argument "nonsense" for "-f, --filter" flag: bad format of filter \(expected name=value\)/);
});

test('ps --format errors use docker wording', async () => {
  const a = await runCli(['ps', '--format', '{{.Nope}}'], { client: { containerList: async () => [] } });
  assert.equal(a.code, 1);
  assert.equal(a.stderr, 'failed to execute template: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext\n');
  const b = await runCli(['ps', '--format', '{{.ID'], { client: { containerList: async () => [] } });
  assert.equal(b.stderr, 'failed to parse template: template: :1: unclosed action\n');
});

test('images lists one row per tag', async () => {
  const imgs: ImageSummary[] = [
    { Id: 'sha256:' + 'a'.repeat(64), ParentId: '', RepoTags: ['busybox:latest', 'mine/bb:1'], RepoDigests: [], Created: nowS - 86400 * 3, Size: 4_261_550, SharedSize: -1, Labels: null, Containers: 1 },
    { Id: 'sha256:' + 'b'.repeat(64), ParentId: '', RepoTags: [], RepoDigests: [], Created: nowS - 60, Size: 1234, SharedSize: -1, Labels: null, Containers: 0 },
  ];
  const r = await runCli(['images'], { now: NOW, client: { imageList: async () => imgs } });
  assert.equal(
    r.stdout,
    [
      'REPOSITORY   TAG       IMAGE ID       CREATED              SIZE',
      'busybox      latest    aaaaaaaaaaaa   3 days ago           4.26MB',
      'mine/bb      1         aaaaaaaaaaaa   3 days ago           4.26MB',
      '<none>       <none>    bbbbbbbbbbbb   About a minute ago   1.23kB',
      '',
    ].join('\n'),
  );
  const f = await runCli(['image', 'ls', 'busybox', '--format', '{{json .}}'], { now: NOW, client: { imageList: async () => imgs.slice(0, 1) } });
  assert.deepEqual(f.calls[0]![1], { all: false, filters: { reference: ['busybox'] } });
  assert.match(f.stdout, /^\{"Containers":"1","CreatedAt":"[^"]+","CreatedSince":"3 days ago","Digest":"\\u003cnone\\u003e","ID":"aaaaaaaaaaaa","Repository":"busybox",/);
});

test('rm, stop and kill print each name and collect errors', async () => {
  const missing = (id: string) => Promise.reject(new ApiError(404, `No such container: ${id}`));
  const r = await runCli(['rm', '-f', 'a', 'gone', 'b'], { client: { containerRemove: async (id: never) => (id === 'gone' ? missing(id) : undefined) } });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'a\nb\n');
  assert.equal(r.stderr, 'Error response from daemon: No such container: gone\n');
  assert.deepEqual(r.calls[0]!.slice(1), ['a', { force: true, volumes: false, link: false }]);
  const s = await runCli(['stop', '-t', '3', 'a', 'gone'], { client: { containerStop: async (id: never) => (id === 'gone' ? missing(id) : true) } });
  assert.equal(s.code, 1);
  assert.equal(s.stdout, 'a\n');
  assert.equal(s.stderr, 'Error response from daemon: No such container: gone\n');
  assert.deepEqual(s.calls[0]!.slice(1), ['a', { timeout: 3 }]);
  const k = await runCli(['kill', '-s', 'HUP', 'a'], { client: { containerKill: async () => undefined } });
  assert.deepEqual(k.calls[0], ['containerKill', 'a', 'HUP']);
});

test('start without -a prints names and reports failures at the end', async () => {
  const r = await runCli(['start', 'a', 'b'], { client: { containerStart: async (id: never) => (id === 'b' ? Promise.reject(new ApiError(404, 'No such container: b')) : true) } });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, 'a\n');
  assert.equal(r.stderr, 'Error response from daemon: No such container: b\nError: failed to start containers: b\n');
});

test('start -a attaches, starts and returns the exit code', async () => {
  const conn = new FakeConn(false);
  let finish: (c: number) => void = () => undefined;
  const r = await runCli(['start', '-a', 'web'], {
    client: {
      containerInspect: async () => ({ Id: 'ID', Config: { Tty: false, OpenStdin: false }, HostConfig: { AutoRemove: false }, State: {} }),
      containerAttach: async () => conn,
      containerWait: async () => ({ result: new Promise((res) => (finish = (c) => res({ StatusCode: c }))) }),
      containerStart: async () => {
        setTimeout(() => {
          conn.output(frame(1, 'hello\n'));
          conn.endOutput();
          finish(4);
        }, 5);
        return true;
      },
    },
  });
  assert.equal(r.code, 4);
  assert.equal(r.stdout, 'hello\n');
});

test('wait prints exit codes', async () => {
  const r = await runCli(['wait', 'a', 'b'], { client: { containerWait: async (id: never) => ({ result: Promise.resolve({ StatusCode: id === 'a' ? 0 : 137 }) }) } });
  assert.equal(r.stdout, '0\n137\n');
});

test('logs demultiplexes into stdout and stderr and passes options', async () => {
  const { PassThrough } = await import('node:stream');
  const body = new PassThrough();
  body.end(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]));
  const r = await runCli(['logs', '--tail', '5', '-t', '--since', '10m', 'web'], {
    now: NOW,
    client: { containerInspect: async () => ({ Id: 'ID', Config: { Tty: false } }), containerLogs: async () => body },
  });
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const opts = r.calls[1]![2] as Record<string, unknown>;
  assert.equal(opts.tail, '5');
  assert.equal(opts.timestamps, true);
  assert.equal(opts.since, String(nowS - 600));
  assert.equal(opts.follow, false);
});

test('exec runs the command and exits with its code', async () => {
  const conn = new FakeConn(false);
  setTimeout(() => {
    conn.output(frame(1, 'in container\n'));
    conn.endOutput();
  }, 10);
  const r = await runCli(['exec', '-e', 'A=1', '-w', '/tmp', '-u', 'nobody', 'web', 'sh', '-c', 'exit 3'], {
    client: {
      containerInspect: async () => ({ Id: 'ID' }),
      execCreate: async () => ({ Id: 'E1' }),
      execStartAttached: async () => conn,
      execInspect: async () => ({ Running: false, ExitCode: 3 }),
    },
  });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'in container\n');
  assert.deepEqual(r.calls[1], [
    'execCreate',
    'web',
    { User: 'nobody', Privileged: false, Tty: false, AttachStdin: false, AttachStderr: true, AttachStdout: true, Detach: false, DetachKeys: '', Env: ['A=1'], WorkingDir: '/tmp', Cmd: ['sh', '-c', 'exit 3'] },
  ]);
});

test('exec -d starts detached', async () => {
  const r = await runCli(['exec', '-d', 'web', 'sleep', '1'], { client: { containerInspect: async () => ({}), execCreate: async () => ({ Id: 'E1' }), execStartDetached: async () => undefined } });
  assert.equal(r.code, 0);
  assert.deepEqual(r.calls[2], ['execStartDetached', 'E1', { tty: false }]);
});

test('inspect prints a 4-space indented array of the daemon\'s JSON, or a template per object', async () => {
  const raw = '{"Id":"abc","State":{"Status":"running","ExitCode":0},"Config":{"Env":["A=1"],"Labels":{}},"Num":1.50}';
  const client = {
    containerInspectRaw: async (ref: never) => (ref === 'web' ? { raw, value: JSON.parse(raw) } : Promise.reject(new ApiError(404, `No such container: ${ref}`))),
    imageInspectRaw: async (ref: never) => Promise.reject(new ApiError(404, `No such image: ${ref}`)),
    rawGet: async () => Promise.reject(new ApiError(404, 'not found')),
  };
  const r = await runCli(['inspect', 'web'], { client });
  assert.equal(r.stdout, '[\n    {\n        "Id": "abc",\n        "State": {\n            "Status": "running",\n            "ExitCode": 0\n        },\n        "Config": {\n            "Env": [\n                "A=1"\n            ],\n            "Labels": {}\n        },\n        "Num": 1.50\n    }\n]\n');
  const t = await runCli(['inspect', '-f', '{{.State.Status}} {{json .Config.Env}}', 'web', 'nope'], { client });
  assert.equal(t.code, 1);
  assert.equal(t.stdout, 'running ["A=1"]\n');
  assert.equal(t.stderr, 'Error: No such object: nope\n');
  const c = await runCli(['container', 'inspect', 'nope'], { client });
  assert.equal(c.stdout, '[]\n');
  assert.equal(c.stderr, 'Error response from daemon: No such container: nope\n');
  const m = await runCli(['inspect', '-f', '{{.Missing}}', 'web'], { client });
  assert.equal(m.stderr, 'template parsing error: template: :1:2: executing "" at <.Missing>: map has no entry for key "Missing"\n');
  const p = await runCli(['inspect', '-f', '{{.Id', 'web'], { client });
  assert.equal(p.code, 64);
});

test('container prune asks first', async () => {
  const client = { containerPrune: async () => ({ ContainersDeleted: ['a1', 'b2'], SpaceReclaimed: 2048 }) };
  const no = await runCli(['container', 'prune'], { client, stdin: stdinOf('n\n') });
  assert.equal(no.code, 0);
  assert.equal(no.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
  assert.equal(no.calls.length, 0);
  const yes = await runCli(['container', 'prune', '--filter', 'until=1h'], { client, stdin: stdinOf('y\n') });
  assert.equal(yes.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\na1\nb2\n\nTotal reclaimed space: 2.048kB\n');
  assert.deepEqual(yes.calls[0], ['containerPrune', { until: ['1h'] }]);
  const forced = await runCli(['container', 'prune', '-f'], { client: { containerPrune: async () => ({ ContainersDeleted: null, SpaceReclaimed: 0 }) } });
  assert.equal(forced.stdout, 'Total reclaimed space: 0B\n');
});

test('top lays out ps output', async () => {
  const r = await runCli(['top', 'web', '-o', 'pid,comm'], { client: { containerTop: async () => ({ Titles: ['PID', 'COMMAND'], Processes: [['1', 'sleep'], ['25', 'sh']] }) } });
  assert.equal(r.stdout, 'PID                 COMMAND\n1                   sleep\n25                  sh\n');
  assert.deepEqual(r.calls[0], ['containerTop', 'web', '-o pid,comm']);
});

test('rmi prints untagged and deleted lines; tag splits the target', async () => {
  const r = await runCli(['rmi', 'busybox'], { client: { imageRemove: async () => [{ Untagged: 'busybox:latest' }, { Deleted: 'sha256:abc' }] } });
  assert.equal(r.stdout, 'Untagged: busybox:latest\nDeleted: sha256:abc\n');
  const t = await runCli(['tag', 'busybox', 'localhost:5000/me/bb:v1'], { client: { imageTag: async () => undefined } });
  assert.deepEqual(t.calls[0], ['imageTag', 'busybox', 'localhost:5000/me/bb', 'v1']);
  const d = await runCli(['tag', 'busybox', 'bb'], { client: { imageTag: async () => undefined } });
  assert.deepEqual(d.calls[0], ['imageTag', 'busybox', 'bb', 'latest']);
});

test('import streams stdin and prints the image id', async () => {
  let sent = '';
  const r = await runCli(['import', '-c', 'CMD ["sh"]', '-m', 'hello', '-', 'mine:1'], {
    stdin: stdinOf('TARDATA'),
    client: {
      imageImport: async function* (src: never, opts: never) {
        for await (const c of src as AsyncIterable<Buffer>) sent += c.toString();
        void opts;
        yield { status: 'sha256:1234' };
      },
    },
  });
  assert.equal(r.code, 0);
  assert.equal(sent, 'TARDATA');
  assert.equal(r.stdout, 'sha256:1234\n');
  assert.deepEqual(r.calls[0]![2], { repo: 'mine', tag: '1', changes: ['CMD ["sh"]'], message: 'hello', platform: '' });
  const missing = await runCli(['import', '/no/such/file.tar']);
  assert.equal(missing.stderr, 'open /no/such/file.tar: no such file or directory\n');
});

test('bootstrap lays out a deterministic busybox root', () => {
  const mtime = new Date(1_600_000_000_000);
  const entries = busyboxEntries('/bin/busybox', ['bin/sh', 'usr/bin/env', 'sbin/init', 'bin/busybox', 'linuxrc', '../evil'], mtime);
  assert.deepEqual(
    entries.map((e) => `${e.type[0]} ${e.name} ${(e.mode ?? 0).toString(8)}${e.linkname ? ' -> ' + e.linkname : ''}`),
    [
      'd bin 755',
      'f bin/busybox 755',
      's bin/sh 777 -> /bin/busybox',
      'd dev 755',
      'd etc 755',
      'f etc/group 644',
      'f etc/passwd 644',
      'd home 755',
      's linuxrc 777 -> /bin/busybox',
      'd proc 555',
      'd root 700',
      'd sbin 755',
      's sbin/init 777 -> /bin/busybox',
      'd sys 555',
      'd tmp 1777',
      'd usr 755',
      'd usr/bin 755',
      's usr/bin/env 777 -> /bin/busybox',
      'd usr/sbin 755',
      'd var 755',
    ],
  );
  assert.ok(entries.every((e) => e.mtime === mtime));
  const passwd = entries.find((e) => e.name === 'etc/passwd')!.content as string;
  assert.match(passwd, /^root:x:0:0:root:\/root:\/bin\/sh\nnobody:x:65534:65534:/);
});

test('detach keys: parsing and the escape proxy', () => {
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-@,a,ctrl-_'), [0, 97, 31]);
  assert.throws(() => parseDetachKeys('ctrl-1'), { message: "Unknown character: 'ctrl-1'" });
  const p = new EscapeProxy([16, 17]);
  assert.deepEqual(p.feed(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), detach: false });
  assert.deepEqual(p.feed(Buffer.from('c')), { forward: Buffer.from('\x10c'), detach: false });
  assert.deepEqual(p.feed(Buffer.from('\x10\x10')), { forward: Buffer.from('\x10'), detach: false });
  assert.deepEqual(p.feed(Buffer.from('\x11rest')), { forward: Buffer.from(''), detach: true });
});

test('--since and --until values are converted as docker does', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  assert.equal(toApiTimestamp('10m', now), String(now / 1000 - 600));
  assert.equal(toApiTimestamp('1h30m', now), String(now / 1000 - 5400));
  assert.equal(toApiTimestamp('2024-01-01T00:00:00Z', now), '1704067200.000000000');
  assert.equal(toApiTimestamp('2024-01-01T01:00:00.5+01:00', now), '1704067200.500000000');
  assert.equal(toApiTimestamp('1704067200', now), '1704067200');
  assert.equal(toApiTimestamp('1704067200.123', now), '1704067200.123');
  assert.throws(() => toApiTimestamp('yesterday', now), /failed to parse value as time or duration: "yesterday"/);
});

test('version and info text follow docker\'s layout', () => {
  const text = versionText(
    { Platform: { Name: '' }, Version: '0.1.0', ApiVersion: '1.45', DefaultAPIVersion: '1.45', GitCommit: '', GoVersion: 'node v20', Os: 'linux', Arch: 'amd64', BuildTime: '', Context: 'default' },
    { Platform: { Name: 'Berth' }, Version: '0.1.0', ApiVersion: '1.45', Os: 'linux', Arch: 'amd64', Components: [{ Name: 'Engine', Version: '0.1.0', Details: { ApiVersion: '1.45', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' } }, { Name: 'runc', Version: '1.1', Details: { GitCommit: 'x' } }] },
  );
  assert.match(text, /^Client:\n Version:\t0\.1\.0\n API version:\t1\.45\n/);
  assert.match(text, /\n\nServer: Berth\n Engine:\n  Version:\t0\.1\.0\n  API version:\t1\.45 \(minimum version 1\.24\)\n/);
  assert.match(text, /\n runc:\n  Version:\t1\.1\n  GitCommit:\tx$/);
  const info = serverInfoText({ Containers: 2, ContainersRunning: 1, ContainersPaused: 0, ContainersStopped: 1, Images: 3, ServerVersion: '0.1.0', Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']], Plugins: { Volume: ['local'], Network: ['host', 'null'], Log: ['k8s-file'] }, OSType: 'linux', SecurityOptions: ['name=seccomp,profile=builtin'], MemTotal: 16663314432, NCPU: 8, Swarm: { LocalNodeState: 'inactive' } }, false);
  assert.match(info, /^ Containers: 2\n {2}Running: 1\n {2}Paused: 0\n {2}Stopped: 1\n Images: 3\n Server Version: 0\.1\.0\n Storage Driver: overlay2\n {2}Backing Filesystem: extfs\n/);
  assert.match(info, /\n Security Options:\n {2}seccomp\n {3}Profile: builtin\n/);
  assert.match(info, /\n Total Memory: 15\.52GiB\n/);
});

test('events print docker\'s line format', () => {
  const saved = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    assert.equal(
      eventLine({ Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'web', image: 'busybox' } }, time: 1700000000, timeNano: 0 }, 1700000000123456789n),
      '2023-11-14T22:13:20.123456789Z container start abc (image=busybox, name=web)\n',
    );
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('bootstrap refuses a dynamically linked busybox', async () => {
  const { isDynamicElf } = await import('./image-bootstrap.js');
  const { readFile } = await import('node:fs/promises');
  const ls = await readFile('/bin/ls').catch(() => null);
  if (ls) assert.equal(isDynamicElf(ls.subarray(0, 4096)), true);
  // A minimal ELF64 little-endian header with one PT_LOAD program header: static.
  const elf = Buffer.alloc(120);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2;
  elf[5] = 1;
  elf.writeBigUInt64LE(64n, 0x20);
  elf.writeUInt16LE(56, 0x36);
  elf.writeUInt16LE(1, 0x38);
  elf.writeUInt32LE(1, 64);
  assert.equal(isDynamicElf(elf), false);
  elf.writeUInt32LE(3, 64);
  assert.equal(isDynamicElf(elf), true);
  assert.equal(isDynamicElf(Buffer.from('#!/bin/sh\n')), false);
});
