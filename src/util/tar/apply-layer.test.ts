import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from './apply-layer.js';
import { InvalidArgumentError, NotImplementedError } from '../errors.js';
import { RecordingFsOps } from './recording-fs-ops.js';
import { fileTypeBits } from './fs-ops.js';
import { packEntries } from './pack-entries.js';
import { bytesOf, nodeMakingFsOps, snapshot, streamOf, tarOf, withSandbox, type FixtureEntry } from './layer-fixtures.js';

const t0 = new Date(1_500_000_000_000);

test('applyLayer writes files, directories, symlinks and hardlinks with their metadata', () =>
  withSandbox(async ({ root }) => {
    const bytes = await tarOf([
      { header: { name: 'bin/', type: 'directory', mode: 0o755, mtime: t0 } },
      { header: { name: 'bin/busybox', mode: 0o4755, uid: 1000, gid: 1000, mtime: t0 }, content: 'ELF' },
      { header: { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', mtime: t0 } },
      { header: { name: 'bin/ls', type: 'symlink', linkname: 'busybox', uid: 7, gid: 8, mtime: t0 } },
      { header: { name: 'bin/ash', type: 'link', linkname: 'bin/busybox', mode: 0o4755, uid: 1000, gid: 1000, mtime: t0 } },
      { header: { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: t0 } },
      { header: { name: 'sgid/', type: 'directory', mode: 0o2750, uid: 1000, gid: 1000, mtime: t0 } },
      { header: { name: 'sgid/f', mode: 0o640, uid: 0, gid: 0, mtime: t0 }, content: 'x' },
    ]);
    const result = await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay' });
    assert.equal(result.entries, 8);
    assert.equal(result.bytes, bytes.length);
    assert.equal(result.size, 4);
    assert.equal(result.diffId, 'sha256:' + createHash('sha256').update(bytes).digest('hex'));

    const busybox = lstatSync(join(root, 'bin/busybox'));
    assert.equal(busybox.mode & 0o7777, 0o4755, 'setuid survives the chown');
    assert.equal(busybox.uid, 1000);
    assert.equal(busybox.gid, 1000);
    assert.equal(busybox.mtimeMs, t0.getTime());
    assert.equal(readFileSync(join(root, 'bin/busybox'), 'utf8'), 'ELF');
    assert.equal(readlinkSync(join(root, 'bin/sh')), '/bin/busybox', 'absolute link text is kept as is');
    const ls = lstatSync(join(root, 'bin/ls'));
    assert.equal(ls.isSymbolicLink(), true);
    assert.equal(ls.uid, 7);
    assert.equal(ls.mtimeMs, t0.getTime(), 'symlink times via lutimes');
    assert.equal(lstatSync(join(root, 'bin/ash')).ino, busybox.ino);
    assert.equal(lstatSync(join(root, 'bin/ash')).nlink, 2);
    assert.equal(lstatSync(join(root, 'tmp')).mode & 0o7777, 0o1777);
    const sgid = lstatSync(join(root, 'sgid'));
    assert.equal(sgid.mode & 0o7777, 0o2750);
    assert.equal(sgid.uid, 1000);
    // a file in a setgid directory still gets the gid its header says
    assert.equal(lstatSync(join(root, 'sgid/f')).gid, 0);
    // directory times are set after their contents were written
    assert.equal(lstatSync(join(root, 'bin')).mtimeMs, t0.getTime());
    assert.equal(sgid.mtimeMs, t0.getTime());
  }));

test('applyLayer creates missing parents as root-owned 0755 directories', () =>
  withSandbox(async ({ root }) => {
    await applyLayer(streamOf(await tarOf([{ header: { name: 'a/b/c/file', uid: 5 }, content: 'x' }])), root, { whiteoutFormat: 'overlay' });
    for (const dir of ['a', 'a/b', 'a/b/c']) {
      const st = lstatSync(join(root, dir));
      assert.equal(st.isDirectory(), true);
      assert.equal(st.mode & 0o7777, 0o755);
      assert.equal(st.uid, 0);
    }
    assert.equal(lstatSync(join(root, 'a/b/c/file')).uid, 5);
  }));

test('applyLayer keeps the root directory itself untouched and strips ./ and / prefixes', () =>
  withSandbox(async ({ root }) => {
    chmodSync(root, 0o711);
    const before = lstatSync(root);
    const bytes = await tarOf([
      { header: { name: './', type: 'directory', mode: 0o700, uid: 1000 } },
      { header: { name: './etc/', type: 'directory' } },
      { header: { name: './etc/hostname' }, content: 'h' },
      { header: { name: '/usr/lib/x' }, content: 'x' },
      { header: { name: '/../../y' }, content: 'y' },
    ]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'apply' });
    const after = lstatSync(root);
    assert.equal(after.mode, before.mode);
    assert.equal(after.uid, before.uid);
    assert.equal(readFileSync(join(root, 'etc/hostname'), 'utf8'), 'h');
    assert.equal(readFileSync(join(root, 'usr/lib/x'), 'utf8'), 'x');
    assert.equal(readFileSync(join(root, 'y'), 'utf8'), 'y', 'an absolute name is relative to the layer root, as Docker does');
  }));

test('applyLayer replaces paths as Docker does', () =>
  withSandbox(async ({ root, outside, assertOutsideUntouched }) => {
    mkdirSync(join(root, 'keep/sub'), { recursive: true });
    writeFileSync(join(root, 'keep/sub/old'), 'old');
    writeFileSync(join(root, 'file'), 'lower');
    mkdirSync(join(root, 'dir/deep'), { recursive: true });
    writeFileSync(join(root, 'dir/deep/x'), 'x');
    symlinkSync(outside, join(root, 'was-link'));
    symlinkSync('/etc', join(root, 'link'));
    const bytes = await tarOf([
      { header: { name: 'keep/', type: 'directory', mode: 0o700, uid: 3 } },
      { header: { name: 'file' }, content: 'upper' },
      { header: { name: 'dir', type: 'symlink', linkname: 'elsewhere' } },
      { header: { name: 'was-link/', type: 'directory' } },
      { header: { name: 'was-link/inside' }, content: 'in' },
      { header: { name: 'link' }, content: 'now a file' },
    ]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'apply' });
    const keep = lstatSync(join(root, 'keep'));
    assert.equal(keep.mode & 0o7777, 0o700, 'a directory over a directory takes the new metadata');
    assert.equal(keep.uid, 3);
    assert.equal(readFileSync(join(root, 'keep/sub/old'), 'utf8'), 'old', '… and keeps its contents');
    assert.equal(readFileSync(join(root, 'file'), 'utf8'), 'upper');
    assert.equal(readlinkSync(join(root, 'dir')), 'elsewhere', 'a non-directory over a directory removes it');
    assert.equal(lstatSync(join(root, 'was-link')).isDirectory(), true, 'a directory over a symlink replaces the link');
    assert.equal(readFileSync(join(root, 'was-link/inside'), 'utf8'), 'in');
    assert.equal(lstatSync(join(root, 'link')).isFile(), true, 'a file over a symlink replaces the link, not its target');
    assertOutsideUntouched();
  }));

test('applyLayer applies a later entry of the same name over an earlier one', () =>
  withSandbox(async ({ root }) => {
    const bytes = await tarOf([
      { header: { name: 'x' }, content: 'one' },
      { header: { name: 'x' }, content: 'two' },
      { header: { name: 'd/', type: 'directory' } },
      { header: { name: 'd/f' }, content: 'f' },
      { header: { name: 'd' }, content: 'file now' },
      { header: { name: 'd/', type: 'directory', mode: 0o750 } },
      { header: { name: 'd/g' }, content: 'g' },
    ]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay' });
    assert.equal(readFileSync(join(root, 'x'), 'utf8'), 'two');
    assert.deepEqual(readdirSync(join(root, 'd')), ['g']);
  }));

test('applyLayer reads PAX long names, ids, times and byte-exact xattrs', () =>
  withSandbox(async ({ root }) => {
    const long = 'l'.repeat(120) + '/' + 'm'.repeat(200) + '/' + 'é'.repeat(60);
    const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x20, 0x00, 0x00, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const bytes = await bytesOf(
      packEntries([
        { name: long, type: 'file', content: 'deep', uid: 3_000_000, gid: 2_500_000, mtime: new Date(1_234_567_000) },
        { name: 'ping', type: 'file', mode: 0o755, content: 'p', xattrs: new Map([['security.capability', capability], ['user.note', Buffer.from('hi')]]) },
        { name: 'link-to-long', type: 'symlink', linkname: '/' + long },
      ]),
    );
    const fsOps = new RecordingFsOps();
    await applyLayer(streamOf(bytes, 100), root, { whiteoutFormat: 'overlay', fsOps });
    const st = lstatSync(join(root, long));
    assert.equal(readFileSync(join(root, long), 'utf8'), 'deep');
    assert.equal(st.uid, 3_000_000);
    assert.equal(st.gid, 2_500_000);
    assert.equal(st.mtimeMs, 1_234_567_000);
    assert.equal(readlinkSync(join(root, 'link-to-long')), '/' + long);
    const xattrs = fsOps.callsOf('lsetxattr').filter((c) => c.path === join(root, 'ping'));
    assert.deepEqual(
      xattrs.map((c) => [c.name, c.value.toString('hex')]),
      [
        ['security.capability', capability.toString('hex')],
        ['user.note', Buffer.from('hi').toString('hex')],
      ],
    );
  }));

test('applyLayer takes xattrs from tar-stream PAX headers too, and drops overlayfs-private ones', () =>
  withSandbox(async ({ root }) => {
    const bytes = await tarOf([
      { header: { name: 'f', pax: { 'SCHILY.xattr.user.a': 'text', 'SCHILY.xattr.trusted.overlay.redirect': '/x' } }, content: 'f' },
    ]);
    const fsOps = new RecordingFsOps();
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay', fsOps });
    assert.deepEqual(
      fsOps.calls.map((c) => (c.op === 'lsetxattr' ? [c.name, c.value.toString()] : c.op)),
      [['user.a', 'text']],
    );
  }));

test('applyLayer without fsOps refuses devices and xattrs unless told to ignore xattrs', () =>
  withSandbox(async ({ root }) => {
    const device = await tarOf([{ header: { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 } }]);
    await assert.rejects(applyLayer(streamOf(device), root, { whiteoutFormat: 'overlay' }), NotImplementedError);
    const fifo = await tarOf([{ header: { name: 'pipe', type: 'fifo' } }]);
    await assert.rejects(applyLayer(streamOf(fifo), join(root), { whiteoutFormat: 'apply' }), NotImplementedError);
    const xattr = await tarOf([{ header: { name: 'f', pax: { 'SCHILY.xattr.user.a': 'v' } }, content: 'f' }]);
    await assert.rejects(applyLayer(streamOf(xattr), root, { whiteoutFormat: 'overlay' }), NotImplementedError);
    await applyLayer(streamOf(xattr), root, { whiteoutFormat: 'overlay', ignoreXattrs: true });
    assert.equal(readFileSync(join(root, 'f'), 'utf8'), 'f');
    const whiteout = await tarOf([{ header: { name: '.wh.gone' }, content: '' }]);
    await assert.rejects(applyLayer(streamOf(whiteout), root, { whiteoutFormat: 'overlay', ignoreXattrs: true }), NotImplementedError);
  }));

test('applyLayer creates device nodes and fifos through fsOps, then sets owner, mode and times', () =>
  withSandbox(async ({ root }) => {
    const fsOps = nodeMakingFsOps();
    const bytes = await tarOf([
      { header: { name: 'dev/', type: 'directory' } },
      { header: { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime: t0 } },
      { header: { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 } },
      { header: { name: 'run/pipe', type: 'fifo', mode: 0o620, uid: 1000 } },
    ]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay', fsOps });
    assert.deepEqual(
      fsOps.callsOf('mknod').map((c) => [c.path.slice(root.length), c.mode & 0o170000, c.major, c.minor]),
      [
        ['/dev/null', fileTypeBits.S_IFCHR, 1, 3],
        ['/dev/loop0', fileTypeBits.S_IFBLK, 7, 0],
        ['/run/pipe', fileTypeBits.S_IFIFO, 0, 0],
      ],
    );
    const nul = lstatSync(join(root, 'dev/null'));
    assert.equal(nul.isCharacterDevice(), true);
    assert.equal(nul.rdev, 0x103);
    assert.equal(nul.mode & 0o7777, 0o666);
    assert.equal(nul.mtimeMs, t0.getTime());
    assert.equal(lstatSync(join(root, 'dev/loop0')).gid, 6);
    const pipe = lstatSync(join(root, 'run/pipe'));
    assert.equal(pipe.isFIFO(), true);
    assert.equal(pipe.uid, 1000);
    assert.equal(pipe.mode & 0o7777, 0o620);
  }));

test('overlay whiteouts become 0:0 character devices and opaque markers an xattr', () =>
  withSandbox(async ({ root }) => {
    const fsOps = nodeMakingFsOps();
    const bytes = await tarOf([
      { header: { name: 'etc/', type: 'directory' } },
      { header: { name: 'etc/.wh.motd', uid: 4, gid: 5 }, content: '' },
      { header: { name: '.wh.var' }, content: '' },
      { header: { name: 'opt/', type: 'directory' } },
      { header: { name: 'opt/.wh..wh..opq' }, content: '' },
      { header: { name: 'opt/new' }, content: 'n' },
      { header: { name: 'implied/.wh..wh..opq' }, content: '' },
    ]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay', fsOps });
    const motd = lstatSync(join(root, 'etc/motd'));
    assert.equal(motd.isCharacterDevice(), true);
    assert.equal(motd.rdev, 0);
    assert.equal(motd.uid, 4);
    assert.equal(motd.gid, 5);
    assert.equal(lstatSync(join(root, 'var')).isCharacterDevice(), true);
    assert.equal(existsSync(join(root, 'etc/.wh.motd')), false, 'whiteout entries are never written as files');
    assert.equal(existsSync(join(root, 'opt/.wh..wh..opq')), false);
    assert.deepEqual(readdirSync(join(root, 'opt')), ['new']);
    assert.deepEqual(
      fsOps.calls.map((c) => (c.op === 'mknod' ? ['mknod', c.path.slice(root.length), c.mode, c.major, c.minor] : c.op === 'lsetxattr' ? ['xattr', c.path.slice(root.length), c.name, c.value.toString()] : [c.op])),
      [
        ['mknod', '/etc/motd', fileTypeBits.S_IFCHR, 0, 0],
        ['mknod', '/var', fileTypeBits.S_IFCHR, 0, 0],
        ['xattr', '/opt', 'trusted.overlay.opaque', 'y'],
        ['xattr', '/implied', 'trusted.overlay.opaque', 'y'],
      ],
    );
  }));

test('overlay: a whiteout never hides its own layer; a directory replacing a whiteout becomes opaque', () =>
  withSandbox(async ({ root }) => {
    const fsOps = nodeMakingFsOps();
    const bytes = await tarOf([
      { header: { name: 'same' }, content: 'kept' },
      { header: { name: '.wh.same' }, content: '' },
      { header: { name: 'dir/', type: 'directory' } },
      { header: { name: '.wh.dir' }, content: '' },
      { header: { name: '.wh.redo' }, content: '' },
      { header: { name: 'redo/', type: 'directory' } },
      { header: { name: '.wh.refile' }, content: '' },
      { header: { name: 'refile' }, content: 'r' },
    ]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay', fsOps });
    assert.equal(readFileSync(join(root, 'same'), 'utf8'), 'kept');
    assert.equal(lstatSync(join(root, 'redo')).isDirectory(), true);
    assert.equal(readFileSync(join(root, 'refile'), 'utf8'), 'r');
    assert.deepEqual(
      fsOps.calls.filter((c) => c.op === 'lsetxattr').map((c) => c.path.slice(root.length)),
      ['/dir', '/redo'],
    );
  }));

test("apply whiteouts delete lower paths and opaque directories lose the lower contents, never this layer's", () =>
  withSandbox(async ({ root }) => {
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'a/b'), 'lower');
    writeFileSync(join(root, 'a/keep'), 'lower');
    mkdirSync(join(root, 'c/deep'), { recursive: true });
    mkdirSync(join(root, 'd/sub/subsub'), { recursive: true });
    writeFileSync(join(root, 'd/old'), 'lower');
    writeFileSync(join(root, 'd/sub/old'), 'lower');
    mkdirSync(join(root, 'merged/x'), { recursive: true });
    writeFileSync(join(root, 'merged/x/old'), 'lower');
    const bytes = await tarOf([
      { header: { name: 'a/.wh.b' }, content: '' },
      { header: { name: '.wh.c' }, content: '' },
      { header: { name: '.wh.missing' }, content: '' },
      { header: { name: 'nowhere/.wh.x' }, content: '' },
      { header: { name: 'd/', type: 'directory' } },
      { header: { name: 'd/new' }, content: 'n' },
      { header: { name: 'd/sub/subsub/new' }, content: 'n' },
      { header: { name: 'd/.wh..wh..opq' }, content: '' },
      { header: { name: 'd/after' }, content: 'a' },
      { header: { name: 'merged/x/new' }, content: 'n' },
      { header: { name: 'merged/.wh.x' }, content: '' },
      { header: { name: 'same' }, content: 's' },
      { header: { name: '.wh.same' }, content: '' },
    ]);
    const fsOps = new RecordingFsOps();
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'apply', fsOps });
    assert.deepEqual(readdirSync(join(root, 'a')), ['keep']);
    assert.equal(existsSync(join(root, 'c')), false);
    assert.equal(existsSync(join(root, 'nowhere')), false, 'a whiteout in a missing directory creates nothing');
    assert.deepEqual(readdirSync(join(root, 'd')).sort(), ['after', 'new', 'sub']);
    assert.deepEqual(readdirSync(join(root, 'd/sub')), ['subsub'], 'implied parents created by this layer survive');
    assert.deepEqual(readdirSync(join(root, 'd/sub/subsub')), ['new']);
    assert.deepEqual(readdirSync(join(root, 'merged/x')), ['new'], 'whiting out a directory this layer merged into keeps only this layer');
    assert.equal(readFileSync(join(root, 'same'), 'utf8'), 's');
    assert.deepEqual(fsOps.calls, [], "'apply' needs no mknod or xattrs for whiteouts");
  }));

test('applyLayer accepts an empty stream and archives without an end marker', () =>
  withSandbox(async ({ root }) => {
    const empty = await applyLayer(streamOf(Buffer.alloc(0)), root, { whiteoutFormat: 'overlay' });
    assert.equal(empty.entries, 0);
    assert.equal(empty.diffId, 'sha256:' + createHash('sha256').digest('hex'));
    const bytes = await tarOf([{ header: { name: 'f' }, content: 'abc' }]);
    const noTrailer = bytes.subarray(0, bytes.length - 1024);
    await applyLayer(streamOf(noTrailer), root, { whiteoutFormat: 'overlay' });
    assert.equal(readFileSync(join(root, 'f'), 'utf8'), 'abc');
  }));

test('applyLayer stops at the end marker but hashes every byte of the input', () =>
  withSandbox(async ({ root }) => {
    const bytes = await tarOf([{ header: { name: 'f' }, content: 'abc' }]);
    const withJunk = Buffer.concat([bytes, Buffer.from('not a tar header at all'.repeat(40))]);
    const result = await applyLayer(streamOf(withJunk, 333), root, { whiteoutFormat: 'overlay' });
    assert.equal(result.entries, 1);
    assert.equal(result.bytes, withJunk.length);
    assert.equal(result.diffId, 'sha256:' + createHash('sha256').update(withJunk).digest('hex'));
  }));

test('applyLayer passes errors of the input stream through unchanged', () =>
  withSandbox(async ({ root }) => {
    const bytes = await tarOf([{ header: { name: 'f' }, content: 'x'.repeat(5000) }]);
    const failing = Readable.from(
      (async function* () {
        yield bytes.subarray(0, 1024);
        yield bytes.subarray(1024, 2048);
        throw new Error('gzip: invalid block');
      })(),
      { objectMode: false },
    );
    await assert.rejects(applyLayer(failing, root, { whiteoutFormat: 'overlay' }), /gzip: invalid block/);
  }));

test('applyLayer reads pre-POSIX (V7) headers, where a trailing slash marks a directory', () =>
  withSandbox(async ({ root }) => {
    const v7 = (name: string, typeflag: number, size: number): Buffer => {
      const b = Buffer.alloc(512);
      b.write(name, 0);
      b.write('0000755\0', 100);
      b.write('0000000\0', 108);
      b.write('0000000\0', 116);
      b.write(size.toString(8).padStart(11, '0') + '\0', 124);
      b.write('00000000000\0', 136);
      b.fill(0x20, 148, 156);
      b[156] = typeflag;
      let sum = 0;
      for (const byte of b) sum += byte;
      b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      return b;
    };
    const data = Buffer.alloc(512);
    data.write('v7');
    const bytes = Buffer.concat([v7('old/', 0, 0), v7('old/file', 0, 2), data, Buffer.alloc(1024)]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay' });
    assert.equal(lstatSync(join(root, 'old')).isDirectory(), true);
    assert.equal(readFileSync(join(root, 'old/file'), 'utf8'), 'v7');
  }));

test('applyLayer refuses a root that is not a directory', () =>
  withSandbox(async ({ root }) => {
    writeFileSync(join(root, 'file'), '');
    await assert.rejects(applyLayer(streamOf(Buffer.alloc(0)), join(root, 'file'), { whiteoutFormat: 'overlay' }), InvalidArgumentError);
  }));

test('small files sent in batches (fsOps.createFiles) give the same tree as one fs call at a time', () =>
  withSandbox(async ({ base }) => {
    const entries: FixtureEntry[] = [{ header: { name: 'etc/', type: 'directory', mode: 0o755, mtime: t0 } }];
    for (let d = 0; d < 7; d++) entries.push({ header: { name: `d${d}/`, type: 'directory', mode: 0o750 + d, mtime: t0 } });
    // More files than one batch holds, in several directories, with varied metadata.
    for (let i = 0; i < 700; i++) {
      entries.push({ header: { name: `d${i % 7}/f${i}`, mode: i % 3 === 0 ? 0o4755 : 0o640, uid: i % 5, gid: i % 4, mtime: new Date(t0.getTime() + i * 1000) }, content: `file ${i} `.repeat(i % 50) });
    }
    entries.push(
      { header: { name: 'sgid/', type: 'directory', mode: 0o2775, gid: 1000, mtime: t0 } },
      { header: { name: 'sgid/f', gid: 0, mtime: t0 }, content: 'gid from the header' },
      { header: { name: 'd1/f1' }, content: 'a later entry of the same name' },
      { header: { name: 'd2/link', type: 'link', linkname: 'd2/f2', mtime: t0 } },
      { header: { name: 'd3', mtime: t0 }, content: 'a file replacing a directory full of new files' },
      { header: { name: 'd4/.wh.f4', mtime: t0 } },
      { header: { name: 'big', mtime: t0 }, content: Buffer.alloc(300 * 1024, 7) },
      { header: { name: 'etc/hostname', mtime: t0 }, content: 'h' },
    );
    const bytes = await tarOf(entries);
    const trees: string[] = [];
    for (const batched of [false, true]) {
      const root = join(base, `root-${batched}`);
      mkdirSync(root);
      const fsOps = nodeMakingFsOps({ batched });
      await applyLayer(streamOf(bytes, 4096), root, { whiteoutFormat: 'overlay', fsOps });
      const batches = fsOps.callsOf('createFiles');
      if (batched) {
        assert.ok(batches.length >= 3, `700 small files take several batches, got ${batches.length}`);
        assert.ok(batches.some((b) => b.paths.length > 100), 'a batch holds many files');
      } else {
        assert.equal(batches.length, 0);
      }
      trees.push(snapshot(root, true));
    }
    assert.deepEqual(trees[1]!.split('\n'), trees[0]!.split('\n'));
    assert.match(trees[0]!, /^sgid\/f 100644 0:0 /m, 'the header gid wins in a setgid directory');
    assert.match(trees[0]!, /^d0\/f0 104755 0:0 0 1 /m, 'setuid kept after chown');
  }));
