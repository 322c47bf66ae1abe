/**
 * Hostile archives: each must fail with InvalidArgumentError (or settle safely) and leave the
 * sentinel directory beside the root exactly as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { applyLayer, type ApplyLayerOptions } from './apply-layer.js';
import { InvalidArgumentError } from '../errors.js';
import { encodeHeader } from './tar-header.js';
import { nodeMakingFsOps, streamOf, tarOf, withSandbox, type FixtureEntry, type Sandbox } from './layer-fixtures.js';

const formats: ApplyLayerOptions['whiteoutFormat'][] = ['overlay', 'apply'];

async function rejectsInvalid(s: Sandbox, entries: readonly FixtureEntry[] | Buffer, message?: RegExp): Promise<void> {
  for (const whiteoutFormat of formats) {
    const bytes = Buffer.isBuffer(entries) ? entries : await tarOf(entries);
    for (const batched of [false, true]) {
      const root = mkdtempSync(join(s.base, `root-${whiteoutFormat}-`));
      await assert.rejects(applyLayer(streamOf(bytes), root, { whiteoutFormat, fsOps: nodeMakingFsOps({ batched }) }), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError (batched: ${batched}), got ${String(err)}`);
        if (message) assert.match(err.message, message);
        return true;
      });
    }
  }
  s.assertOutsideUntouched();
}

test('an entry climbing above the root is refused, naming the entry', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [{ header: { name: '../../etc/passwd' }, content: 'x' }], /^Cannot apply layer: entry "\.\.\/\.\.\/etc\/passwd" escapes the root$/);
    await rejectsInvalid(s, [{ header: { name: '../x' }, content: 'x' }], /escapes the root/);
    await rejectsInvalid(s, [{ header: { name: 'a/../../x' }, content: 'x' }], /"a\/\.\.\/\.\.\/x" escapes the root/);
    await rejectsInvalid(s, [{ header: { name: './../outside/secret' }, content: 'x' }], /escapes the root/);
    await rejectsInvalid(s, [{ header: { name: '..', type: 'directory' } }], /escapes the root/);
    await rejectsInvalid(s, [{ header: { name: '../outside', type: 'symlink', linkname: '/' } }], /escapes the root/);
  }));

test('a valid entry before a hostile one does not make the layer succeed', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [
      { header: { name: 'ok' }, content: 'fine' },
      { header: { name: 'a/../../outside/evil' }, content: 'x' },
    ]);
    assert.equal(existsSync(join(s.outside, 'evil')), false);
  }));

test('an absolute name lands inside the root, never on the host', () =>
  withSandbox(async ({ root, assertOutsideUntouched }) => {
    const unique = `berth-tar-test-${randomBytes(6).toString('hex')}`;
    const bytes = await tarOf([{ header: { name: `/etc/${unique}` }, content: 'x' }, { header: { name: `/../../tmp/${unique}` }, content: 'y' }]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay' });
    assert.equal(existsSync(join(root, 'etc', unique)), true);
    assert.equal(existsSync(join(root, 'tmp', unique)), true);
    assert.equal(existsSync(join('/etc', unique)), false);
    assert.equal(existsSync(join('/tmp', unique)), false);
    assertOutsideUntouched();
  }));

test('an entry below a symlink in the archive is refused', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [
      { header: { name: 'evil', type: 'symlink', linkname: s.outside } },
      { header: { name: 'evil/file' }, content: 'x' },
    ], /"evil\/file" is below the symbolic link "evil"/);
    await rejectsInvalid(s, [
      { header: { name: 'evil', type: 'symlink', linkname: '../../..' } },
      { header: { name: 'evil/tmp/x' }, content: 'x' },
    ]);
    await rejectsInvalid(s, [
      { header: { name: 'a/', type: 'directory' } },
      { header: { name: 'a/up', type: 'symlink', linkname: '..' } },
      { header: { name: 'a/up/up2', type: 'symlink', linkname: '..' } },
      { header: { name: 'a/up/up2/outside/secret' }, content: 'x' },
    ]);
    await rejectsInvalid(s, [
      { header: { name: 'evil', type: 'symlink', linkname: s.outside } },
      { header: { name: 'evil/dir/', type: 'directory', mode: 0o777 } },
    ]);
    await rejectsInvalid(s, [
      { header: { name: 'evil', type: 'symlink', linkname: s.outside } },
      { header: { name: 'evil/secret', type: 'symlink', linkname: '/x' } },
    ]);
  }));

test('a symlink replacing a directory seen earlier is not written through', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [
      { header: { name: 'a/', type: 'directory' } },
      { header: { name: 'a/b/', type: 'directory' } },
      { header: { name: 'a/b/f' }, content: 'fine' },
      { header: { name: 'a', type: 'symlink', linkname: s.outside } },
      { header: { name: 'a/secret' }, content: 'overwritten' },
    ], /"a\/secret" is below the symbolic link "a"/);
    await rejectsInvalid(s, [
      { header: { name: 'a/b/c/f' }, content: 'implied parents' },
      { header: { name: 'a/b', type: 'symlink', linkname: s.outside } },
      { header: { name: 'a/b/c/g' }, content: 'x' },
    ], /"a\/b\/c\/g" is below the symbolic link "a\/b"/);
  }));

test('deferred directory times never go through a symlink that replaced the directory', () =>
  withSandbox(async ({ root, outside, assertOutsideUntouched }) => {
    const bytes = await tarOf([
      { header: { name: 'a/', type: 'directory' } },
      { header: { name: 'a/dir/', type: 'directory', mtime: new Date(5_000_000) } },
      { header: { name: 'a', type: 'symlink', linkname: outside } },
    ]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay' });
    assert.equal(lstatSync(join(root, 'a')).isSymbolicLink(), true);
    assertOutsideUntouched(); // outside/dir keeps its mtime
  }));

test('a symlink already in the root (a lower layer) is never traversed', () =>
  withSandbox(async (s) => {
    for (const whiteoutFormat of formats) {
      const root = join(s.base, `pre-${whiteoutFormat}`);
      mkdirSync(join(root, 'usr'), { recursive: true });
      symlinkSync(s.outside, join(root, 'usr/lib'));
      const cases: FixtureEntry[][] = [
        [{ header: { name: 'usr/lib/secret' }, content: 'x' }],
        [{ header: { name: 'usr/lib/.wh.secret' }, content: '' }],
        [{ header: { name: 'usr/lib/.wh..wh..opq' }, content: '' }],
        [{ header: { name: 'usr/lib/dir/', type: 'directory' } }],
        [{ header: { name: 'x', type: 'link', linkname: 'usr/lib/secret' } }],
      ];
      for (const entries of cases) {
        await assert.rejects(applyLayer(streamOf(await tarOf(entries)), root, { whiteoutFormat, fsOps: nodeMakingFsOps() }), InvalidArgumentError);
      }
    }
    s.assertOutsideUntouched();
  }));

test('hardlinks must point at an existing non-directory inside the root', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [{ header: { name: 'x', type: 'link', linkname: '../outside/secret' } }], /hardlink "x" target "\.\.\/outside\/secret" escapes the root/);
    await rejectsInvalid(s, [{ header: { name: 'x', type: 'link', linkname: 'a/../../outside/secret' } }], /escapes the root/);
    // root-relative: /etc/passwd means <root>/etc/passwd, which does not exist
    await rejectsInvalid(s, [{ header: { name: 'passwd', type: 'link', linkname: '/etc/passwd' } }], /hardlink "passwd" -> "\/etc\/passwd": the target does not exist/);
    await rejectsInvalid(s, [{ header: { name: 'x', type: 'link', linkname: 'nope' } }], /does not exist/);
    await rejectsInvalid(s, [
      { header: { name: 'evil', type: 'symlink', linkname: s.outside } },
      { header: { name: 'x', type: 'link', linkname: 'evil/secret' } },
    ], /not reachable without following a symbolic link/);
    await rejectsInvalid(s, [
      { header: { name: 'd/', type: 'directory' } },
      { header: { name: 'x', type: 'link', linkname: 'd' } },
    ], /the target is a directory/);
    await rejectsInvalid(s, [{ header: { name: 'x', type: 'link', linkname: '' } }], /points at the root/);
    assert.equal(lstatSync('/etc/passwd').nlink, 1, "the host's /etc/passwd gained no link");
    assert.equal(lstatSync(join(s.outside, 'secret')).nlink, 1);
  }));

test('a hardlink to a symlink links the symlink itself, not its target', () =>
  withSandbox(async ({ root, outside, assertOutsideUntouched }) => {
    const bytes = await tarOf([
      { header: { name: 'l', type: 'symlink', linkname: join(outside, 'secret') } },
      { header: { name: 'hl', type: 'link', linkname: 'l', mode: 0o600, uid: 1000 } },
    ]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'overlay' });
    assert.equal(lstatSync(join(root, 'hl')).isSymbolicLink(), true);
    assert.equal(lstatSync(join(outside, 'secret')).nlink, 1);
    assertOutsideUntouched();
  }));

test('names with NUL bytes and over-long names are refused', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [{ header: { name: 'ok', pax: { path: 'evil\0name' } }, content: 'x' }], /contains a NUL byte/);
    await rejectsInvalid(s, [{ header: { name: 'l', type: 'symlink', linkname: 'x', pax: { linkpath: 'a\0b' } } }], /NUL/);
    await rejectsInvalid(s, [{ header: { name: 'h', type: 'link', linkname: 'x', pax: { linkpath: 'a\0b' } } }], /NUL/);
    await rejectsInvalid(s, [{ header: { name: 'a/'.repeat(2100) + 'f' }, content: 'x' }], /longer than 4096 bytes/);
    await rejectsInvalid(s, [{ header: { name: 'n'.repeat(256) }, content: 'x' }], /component longer than 255 bytes/);
    await rejectsInvalid(s, [{ header: { name: 'l', type: 'symlink', linkname: 'x'.repeat(4097) } }], /link target longer/);
  }));

test('whiteouts that would name the directory itself or its parent are refused', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [{ header: { name: 'a/.wh..' }, content: '' }], /not a valid whiteout/);
    await rejectsInvalid(s, [{ header: { name: '.wh..' }, content: '' }], /not a valid whiteout/);
    await rejectsInvalid(s, [{ header: { name: 'a/.wh.' }, content: '' }], /not a valid whiteout/);
  }));

test('replacing the root with a non-directory is refused', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [{ header: { name: '.' }, content: 'x' }], /would replace the root/);
    await rejectsInvalid(s, [{ header: { name: '/', type: 'symlink', linkname: '/etc' } }], /would replace the root/);
  }));

test('truncated and corrupt archives are refused', () =>
  withSandbox(async (s) => {
    const bytes = await tarOf([{ header: { name: 'f' }, content: 'x'.repeat(3000) }, { header: { name: 'g' }, content: 'y' }]);
    await rejectsInvalid(s, bytes.subarray(0, 1500), /invalid tar stream/);
    await rejectsInvalid(s, bytes.subarray(0, 300), /invalid tar stream/);
    const corrupt = Buffer.from(bytes);
    corrupt[10] ^= 0xff;
    await rejectsInvalid(s, corrupt, /invalid tar stream/);
    await rejectsInvalid(s, Buffer.from('this is not a tar archive, just some text'.repeat(30)), /invalid tar stream/);
  }));

test('bad ids, unknown entry types and oversized headers are refused', () =>
  withSandbox(async (s) => {
    await rejectsInvalid(s, [{ header: { name: 'f', pax: { uid: '4294967295' } }, content: '' }], /invalid uid/);
    await rejectsInvalid(s, [{ header: { name: 'f', pax: { gid: '-1' } }, content: '' }], /invalid gid/);
    const header = (typeflag: string, size: number): Buffer[] =>
      encodeHeader({ name: 'sparse', typeflag, mode: 0o644, uid: 0, gid: 0, size, mtime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() });
    const sparse = Buffer.concat([...header('S', 0), Buffer.alloc(1024)]);
    await rejectsInvalid(s, sparse, /unsupported type/);
    const hugePax = Buffer.concat([...header('x', 5 * 1024 * 1024), Buffer.alloc(5 * 1024 * 1024)]);
    await rejectsInvalid(s, hugePax, /invalid tar stream/);
  }));

test('entries that carry data they should not have do not stall extraction', () =>
  withSandbox(async ({ root, base, assertOutsideUntouched }) => {
    const block = (typeflag: string, name: string, size: number, linkname = ''): Buffer[] =>
      encodeHeader({ name, typeflag, mode: 0o755, uid: 0, gid: 0, size, mtime: 0, linkname, devmajor: 0, devminor: 0, xattrs: new Map() });
    // a symlink with a body: the body is skipped
    const symlinkWithData = Buffer.concat([...block('2', 'l', 600, '/target'), Buffer.alloc(1024, 0x41), ...block('0', 'f', 0), Buffer.alloc(1024)]);
    await applyLayer(streamOf(symlinkWithData), root, { whiteoutFormat: 'overlay' });
    assert.deepEqual(readdirSync(root).sort(), ['f', 'l']);
    // a directory with a size: tar-stream reads no body, so the "body" is taken as the next header
    const dirWithData = Buffer.concat([...block('5', 'd/', 512), Buffer.alloc(512, 0x41), Buffer.alloc(1024)]);
    const root2 = join(base, 'root2');
    mkdirSync(root2);
    const settled = await Promise.race([
      applyLayer(streamOf(dirWithData), root2, { whiteoutFormat: 'overlay' }).then(() => 'resolved', (e: unknown) => (e instanceof InvalidArgumentError ? 'rejected' : String(e))),
      new Promise((resolve) => setTimeout(() => resolve('stalled'), 5000)),
    ]);
    assert.equal(settled, 'rejected');
    assertOutsideUntouched();
  }));

test('a file entry replacing an outside-pointing symlink writes a file, not through the link', () =>
  withSandbox(async ({ root, outside, assertOutsideUntouched }) => {
    symlinkSync(join(outside, 'secret'), join(root, 'passwd'));
    writeFileSync(join(root, 'x'), '');
    const bytes = await tarOf([{ header: { name: 'passwd' }, content: 'owned' }]);
    await applyLayer(streamOf(bytes), root, { whiteoutFormat: 'apply' });
    assert.equal(lstatSync(join(root, 'passwd')).isFile(), true);
    assertOutsideUntouched();
  }));

test('new files still being written in batches never land through a symlink that replaces their directory', () =>
  withSandbox(async (s) => {
    for (const whiteoutFormat of formats) {
      const root = mkdtempSync(join(s.base, `swap-${whiteoutFormat}-`));
      const entries: FixtureEntry[] = [{ header: { name: 'a/', type: 'directory' } }];
      for (let i = 0; i < 50; i++) entries.push({ header: { name: `a/f${i}` }, content: 'x' });
      entries.push({ header: { name: 'a', type: 'symlink', linkname: s.outside } }, { header: { name: 'a/secret' }, content: 'overwritten' });
      await assert.rejects(applyLayer(streamOf(await tarOf(entries)), root, { whiteoutFormat, fsOps: nodeMakingFsOps({ batched: true }) }), /below the symbolic link "a"/);
    }
    s.assertOutsideUntouched();
  }));
