import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../util/errors.js';
import { mergeTmpfsOptions, parseTmpfsFlag, parseTmpfsMountOptions, tmpfsOptionsFromMount } from './tmpfs-options.js';

test("an empty option text gives Docker's defaults", () => {
  assert.deepEqual(parseTmpfsMountOptions(''), ['noexec', 'nosuid', 'nodev', 'rprivate']);
});

test('user options follow the defaults', () => {
  assert.deepEqual(parseTmpfsMountOptions('rw,size=64m,mode=1777'), ['noexec', 'nosuid', 'nodev', 'rprivate', 'rw', 'size=64m', 'mode=1777']);
});

test('a later flag of the same kind replaces the earlier one in its own position', () => {
  assert.deepEqual(parseTmpfsMountOptions('exec'), ['nosuid', 'nodev', 'rprivate', 'exec']);
  assert.deepEqual(parseTmpfsMountOptions('suid,dev,exec,shared'), ['suid', 'dev', 'exec', 'shared']);
  assert.deepEqual(parseTmpfsMountOptions('ro,rw'), ['noexec', 'nosuid', 'nodev', 'rprivate', 'rw']);
});

test('a later data option replaces the earlier one; defaults is dropped', () => {
  assert.deepEqual(parseTmpfsMountOptions('size=1m,defaults,size=2g'), ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=2g']);
});

test('all data keys Docker accepts pass', () => {
  const opts = parseTmpfsMountOptions('size=50%,mode=700,uid=1000,gid=1000,nr_inodes=1k,nr_blocks=10,mpol=bind:0-1');
  assert.equal(opts.length, 11);
});

test('unknown options are refused with Docker wording', () => {
  assert.throws(() => parseTmpfsMountOptions('foo'), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.equal(e.message, 'invalid tmpfs option "foo"');
    return true;
  });
  assert.throws(() => parseTmpfsMountOptions('huge=always'), /invalid tmpfs option "huge"/);
  assert.throws(() => parseTmpfsMountOptions('rw,,size=1m'), /invalid tmpfs option ""/);
  assert.throws(() => parseTmpfsMountOptions('size'), /invalid tmpfs option "size"/);
});

test('malformed values are refused', () => {
  assert.throws(() => parseTmpfsMountOptions('size=abc'), /invalid tmpfs option "size=abc"/);
  assert.throws(() => parseTmpfsMountOptions('mode=999'), InvalidArgumentError);
  assert.throws(() => parseTmpfsMountOptions('uid=root'), InvalidArgumentError);
  assert.throws(() => parseTmpfsMountOptions('size=-1'), InvalidArgumentError);
});

test('merging is idempotent, so parsed options can be merged again', () => {
  const once = parseTmpfsMountOptions('exec,size=1m');
  assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...once]), once);
});

test('parseTmpfsFlag splits the --tmpfs flag', () => {
  assert.deepEqual(parseTmpfsFlag('/run:rw,size=64m'), { destination: '/run', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'rw', 'size=64m'] });
  assert.deepEqual(parseTmpfsFlag('/tmp'), { destination: '/tmp', options: ['noexec', 'nosuid', 'nodev', 'rprivate'] });
  assert.throws(() => parseTmpfsFlag('tmp:rw'), /mount path must be absolute/);
});

test('API tmpfs options become Docker option text', () => {
  assert.equal(tmpfsOptionsFromMount({}), '');
  assert.equal(tmpfsOptionsFromMount({ sizeBytes: 64 * 1024 * 1024, mode: 0o1777, readOnly: true }), 'ro,mode=1777,size=64m');
  assert.equal(tmpfsOptionsFromMount({ sizeBytes: 2 * 1024 ** 3 }), 'size=2g');
  assert.equal(tmpfsOptionsFromMount({ sizeBytes: 1536 }), 'size=1536');
  assert.equal(tmpfsOptionsFromMount({ sizeBytes: 3072 }), 'size=3k');
  assert.equal(tmpfsOptionsFromMount({ mode: 0o700 }), 'mode=700');
  assert.deepEqual(parseTmpfsMountOptions(tmpfsOptionsFromMount({ sizeBytes: 1000, mode: 0o755 })).slice(-2), ['mode=755', 'size=1000']);
});
