import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, utimesSync, writeFileSync, lutimesSync, lchownSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import tar from 'tar-stream';
import { applyLayer } from './apply-layer.js';
import { packDirectory } from './pack-directory.js';
import { packEntries } from './pack-entries.js';
import type { TarEntry } from './tar-entry.js';
import { InvalidArgumentError } from '../errors.js';
import { RecordingFsOps } from './recording-fs-ops.js';
import { bytesOf, nodeMakingFsOps, streamOf, withSandbox } from './layer-fixtures.js';

interface ReadEntry {
  readonly header: tar.Header;
  readonly body: Buffer;
}

async function readTar(bytes: Buffer): Promise<ReadEntry[]> {
  const extract = tar.extract();
  const out: ReadEntry[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      if (entry.header.type !== 'directory') for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
      out.push({ header: entry.header, body: Buffer.concat(chunks) });
    }
  })();
  extract.end(bytes);
  await reading;
  return out;
}

/** Every node below `dir`: type, metadata, content hash, link text, and hardlink group. */
function describeTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const firstByInode = new Map<number, string>();
  const visit = (rel: string): void => {
    for (const name of readdirSync(rel ? join(dir, rel) : dir).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(dir, r);
      const st = lstatSync(p);
      const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'chr' : st.isBlockDevice() ? 'blk' : 'other';
      let extra = '';
      if (st.isFile()) extra = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
      if (st.isSymbolicLink()) extra = readlinkSync(p);
      if (st.isCharacterDevice() || st.isBlockDevice()) extra = `rdev=${st.rdev}`;
      if (!st.isDirectory() && st.nlink > 1) {
        if (!firstByInode.has(st.ino)) firstByInode.set(st.ino, r);
        extra += ` link-group=${firstByInode.get(st.ino)}`;
      }
      const mode = st.isSymbolicLink() ? '-' : (st.mode & 0o7777).toString(8);
      out[r] = `${kind} ${mode} ${st.uid}:${st.gid} t=${Math.floor(st.mtimeMs / 1000)} ${extra}`;
      if (st.isDirectory()) visit(r);
    }
  };
  visit('');
  return out;
}

const bigFile = randomBytes(200_000);

/** A tree with every kind of node packDirectory handles. */
function makeTree(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin/busybox'), 'busybox binary');
  chmodSync(join(dir, 'bin/busybox'), 0o4755);
  linkSync(join(dir, 'bin/busybox'), join(dir, 'bin/ash'));
  mkdirSync(join(dir, 'sbin'));
  linkSync(join(dir, 'bin/busybox'), join(dir, 'sbin/init'));
  symlinkSync('/bin/busybox', join(dir, 'bin/sh'));
  symlinkSync('../bin/busybox', join(dir, 'sbin/ls'));
  symlinkSync('dangling', join(dir, 'bin/dangling'));
  mkdirSync(join(dir, 'tmp'));
  chmodSync(join(dir, 'tmp'), 0o1777);
  mkdirSync(join(dir, 'home/user'), { recursive: true });
  chownSync(join(dir, 'home/user'), 1000, 1000);
  writeFileSync(join(dir, 'home/user/.profile'), 'export PS1=$');
  chownSync(join(dir, 'home/user/.profile'), 1000, 1000);
  chmodSync(join(dir, 'home/user/.profile'), 0o2640);
  lchownSync(join(dir, 'bin/dangling'), 5, 6);
  writeFileSync(join(dir, 'big'), bigFile);
  writeFileSync(join(dir, 'empty'), '');
  mkdirSync(join(dir, 'dev'));
  execFileSync('mknod', ['-m', '666', join(dir, 'dev/null'), 'c', '1', '3']);
  execFileSync('mknod', ['-m', '660', join(dir, 'dev/loop9'), 'b', '7', '9']);
  execFileSync('mkfifo', ['-m', '600', join(dir, 'dev/fifo')]);
  const long = join(dir, 'l'.repeat(150), 'é'.repeat(100));
  mkdirSync(long, { recursive: true });
  writeFileSync(join(long, 'deep'), 'deep');
  const times = (p: string, s: number): void => utimesSync(join(dir, p), s, s);
  times('bin/busybox', 1_111_111_111);
  times('big', 1_222_222_222);
  lutimesSync(join(dir, 'bin/sh'), 1_333_333_333, 1_333_333_333);
  for (const d of ['bin', 'sbin', 'tmp', 'home/user', 'home', 'dev']) times(d, 1_444_444_444);
}

test('packDirectory output applies back to the same tree', () =>
  withSandbox(async ({ base, root }) => {
    const src = join(base, 'src');
    makeTree(src);
    const bytes = await bytesOf(packDirectory(src));
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay', fsOps: nodeMakingFsOps() });
    assert.deepEqual(describeTree(root), describeTree(src));
  }));

test('packDirectory output extracts with GNU tar to the same tree', () =>
  withSandbox(async ({ base, root }) => {
    const src = join(base, 'src');
    makeTree(src);
    const bytes = await bytesOf(packDirectory(src));
    execFileSync('tar', ['-xpf', '-', '--numeric-owner', '-C', root], { input: bytes });
    assert.deepEqual(describeTree(root), describeTree(src));
  }));

test('applyLayer unpacks GNU tar archives in gnu, pax and ustar-compatible formats', () =>
  withSandbox(async ({ base }) => {
    const src = join(base, 'src');
    makeTree(src);
    for (const format of ['gnu', 'pax', 'posix']) {
      const bytes = execFileSync('tar', ['-cf', '-', `--format=${format}`, '-C', src, '.'], { maxBuffer: 64 << 20 });
      const root = join(base, `root-${format}`);
      mkdirSync(root);
      await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay', fsOps: nodeMakingFsOps() });
      assert.deepEqual(describeTree(root), describeTree(src), format);
    }
  }));

test('packDirectory is deterministic, sorted depth first, with links and no sockets', () =>
  withSandbox(async ({ base }) => {
    const src = join(base, 'src');
    makeTree(src);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(src, 'dev/socket'), resolve));
    try {
      const options = { mtime: new Date(1_700_000_000_500), owner: { uid: 0, gid: 0 } };
      const first = await bytesOf(packDirectory(src, options));
      utimesSync(join(src, 'big'), 5, 5);
      const second = await bytesOf(packDirectory(src, options));
      assert.equal(createHash('sha256').update(first).digest('hex'), createHash('sha256').update(second).digest('hex'));
      const entries = await readTar(first);
      const names = entries.map((e) => e.header.name);
      assert.equal(names.includes('dev/socket'), false, 'sockets are skipped');
      assert.deepEqual(names.slice(0, 8), ['big', 'bin/', 'bin/ash', 'bin/busybox', 'bin/dangling', 'bin/sh', 'dev/', 'dev/fifo']);
      const byName = new Map(entries.map((e) => [e.header.name, e]));
      assert.equal(byName.get('bin/ash')!.header.type, 'file', 'the first name of an inode carries the data');
      assert.equal(byName.get('bin/busybox')!.header.type, 'link');
      assert.equal(byName.get('bin/busybox')!.header.linkname, 'bin/ash');
      assert.equal(byName.get('sbin/init')!.header.linkname, 'bin/ash');
      assert.equal(byName.get('bin/ash')!.header.mode, 0o4755);
      assert.equal(byName.get('tmp/')!.header.mode, 0o1777);
      assert.equal(byName.get('dev/null')!.header.type, 'character-device');
      assert.equal(byName.get('dev/loop9')!.header.devminor, 9);
      assert.equal(byName.get('home/user/.profile')!.header.uid, 0, 'owner override');
      assert.equal(byName.get('big')!.body.equals(bigFile), true);
      for (const e of entries) assert.equal(e.header.mtime.getTime(), 1_700_000_000_000, e.header.name);
    } finally {
      server.close();
    }
  }));

test('packDirectory stores xattrs read through the injected reader, byte-exact', () =>
  withSandbox(async ({ base, root }) => {
    const src = join(base, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'ping'), 'p');
    symlinkSync('ping', join(src, 'link'));
    const reader = new RecordingFsOps();
    const cap = Buffer.from('0100000280200000ff000000', 'hex');
    await reader.lsetxattr(join(src, 'ping'), 'security.capability', cap);
    await reader.lsetxattr(join(src, 'ping'), 'trusted.overlay.origin', Buffer.from('x'));
    await reader.lsetxattr(join(src, 'link'), 'trusted.t', Buffer.from([0xc3, 0x28]));
    const bytes = await bytesOf(packDirectory(src, { xattrs: reader }));
    const applied = new RecordingFsOps();
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay', fsOps: applied });
    assert.deepEqual(
      applied.callsOf('lsetxattr').map((c) => [c.path.slice(root.length), c.name, c.value.toString('hex')]),
      [
        ['/link', 'trusted.t', 'c328'],
        ['/ping', 'security.capability', cap.toString('hex')],
      ],
    );
  }));

const busyboxEntries = (busybox: Buffer): TarEntry[] => [
  { name: 'bin', type: 'directory' },
  { name: 'bin/busybox', type: 'file', mode: 0o755, content: busybox },
  ...['sh', 'ls', 'cat'].map((applet): TarEntry => ({ name: `bin/${applet}`, type: 'symlink', linkname: '/bin/busybox' })),
  { name: 'etc', type: 'directory' },
  { name: 'etc/passwd', type: 'file', content: 'root:x:0:0:root:/root:/bin/sh\n' },
  { name: 'tmp', type: 'directory', mode: 0o1777 },
  { name: 'root', type: 'directory', mode: 0o700 },
  { name: 'home/user', type: 'directory', uid: 1000, gid: 1000 },
  { name: 'sbin/init', type: 'hardlink', linkname: 'bin/busybox' },
];

test('packEntries builds the same archive from the same description', async () => {
  const busybox = randomBytes(3000);
  const a = await bytesOf(packEntries(busyboxEntries(busybox)));
  const b = await bytesOf(packEntries(busyboxEntries(busybox)));
  assert.ok(a.equals(b));
  assert.equal(a.length % 512, 0);
  const listing = execFileSync('tar', ['-tvf', '-', '--numeric-owner'], { input: a, env: { ...process.env, TZ: 'UTC' } }).toString();
  assert.deepEqual(
    listing.trim().split('\n').map((l) => l.replace(/\s+/g, ' ')),
    [
      'drwxr-xr-x 0/0 0 1970-01-01 00:00 bin/',
      '-rwxr-xr-x 0/0 3000 1970-01-01 00:00 bin/busybox',
      'lrwxrwxrwx 0/0 0 1970-01-01 00:00 bin/sh -> /bin/busybox',
      'lrwxrwxrwx 0/0 0 1970-01-01 00:00 bin/ls -> /bin/busybox',
      'lrwxrwxrwx 0/0 0 1970-01-01 00:00 bin/cat -> /bin/busybox',
      'drwxr-xr-x 0/0 0 1970-01-01 00:00 etc/',
      '-rw-r--r-- 0/0 30 1970-01-01 00:00 etc/passwd',
      'drwxrwxrwt 0/0 0 1970-01-01 00:00 tmp/',
      'drwx------ 0/0 0 1970-01-01 00:00 root/',
      'drwxr-xr-x 1000/1000 0 1970-01-01 00:00 home/user/',
      'hrw-r--r-- 0/0 0 1970-01-01 00:00 sbin/init link to bin/busybox',
    ],
  );
});

test('packEntries uses PAX for long and non-ASCII names, long link targets and big ids', () =>
  withSandbox(async ({ root }) => {
    const long = 'd'.repeat(99) + '/' + 'f'.repeat(180);
    const bytes = await bytesOf(
      packEntries(
        [
          { name: long, type: 'file', content: 'x', uid: 5_000_000 },
          { name: 'ünïcode', type: 'file', content: 'u', mtime: new Date(-1000_000) },
          { name: 'p'.repeat(120) + '/q', type: 'file' },
          { name: 'sym', type: 'symlink', linkname: '/' + 't'.repeat(300) },
        ],
        { mtime: new Date(1_600_000_000_999) },
      ),
    );
    const entries = await readTar(bytes);
    assert.deepEqual(entries.map((e) => e.header.name), [long, 'ünïcode', 'p'.repeat(120) + '/q', 'sym']);
    assert.equal(entries[0]!.header.mtime.getTime(), 1_600_000_000_000);
    assert.equal(entries[3]!.header.linkname, '/' + 't'.repeat(300));
    const listing = execFileSync('tar', ['-tvf', '-', '--numeric-owner'], { input: bytes }).toString();
    assert.match(listing, /5000000\/0/);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay' });
    assert.equal(lstatSync(join(root, long)).uid, 5_000_000);
    assert.equal(lstatSync(join(root, 'ünïcode')).mtimeMs, 0, 'times before the epoch become the epoch, as in Docker');
    assert.equal(readlinkSync(join(root, 'sym')), '/' + 't'.repeat(300));
  }));

test('packEntries refuses entries it cannot write safely', async () => {
  const fails = async (entries: TarEntry[], message: RegExp): Promise<void> => {
    await assert.rejects(bytesOf(packEntries(entries)), (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message));
  };
  await fails([{ name: '../x', type: 'file' }], /escapes the root/);
  await fails([{ name: 'a\0b', type: 'file' }], /NUL/);
  await fails([{ name: '/', type: 'directory' }], /root itself/);
  await fails([{ name: 'h', type: 'hardlink', linkname: 'later' }, { name: 'later', type: 'file' }], /not an earlier non-directory/);
  await fails([{ name: 'd', type: 'directory' }, { name: 'h', type: 'hardlink', linkname: 'd' }], /not an earlier non-directory/);
  await fails([{ name: 's', type: 'symlink' }], /invalid symlink target/);
  await fails([{ name: 's', type: 'symlink', linkname: 'x', content: 'body' }], /only regular files/);
  await fails([{ name: 'f', type: 'file', uid: -1 }], /invalid uid/);
  await fails([{ name: 'f', type: 'file', xattrs: new Map([['a=b', Buffer.from('')]]) }], /xattr name/);
});

test('packEntries reads host files for content and fails if one shrinks', () =>
  withSandbox(async ({ base }) => {
    const path = join(base, 'blob');
    writeFileSync(path, 'hello');
    const ok = await readTar(await bytesOf(packEntries([{ name: 'f', type: 'file', content: { path } }])));
    assert.equal(ok[0]!.body.toString(), 'hello');
    await assert.rejects(bytesOf(packEntries([{ name: 'f', type: 'file', content: { path, size: 10 } }])), /shrank/);
    symlinkSync(path, join(base, 'link'));
    await assert.rejects(bytesOf(packEntries([{ name: 'f', type: 'file', content: { path: join(base, 'link') } }])), /ELOOP/);
  }));
