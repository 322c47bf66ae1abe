import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFiles } from './create-files.js';

interface Spec {
  path: string;
  data: string;
  uid: number;
  gid: number;
  mode: number;
  atime: number;
  mtime: number;
}

function encode(specs: readonly Spec[]): [Buffer, Buffer, Float64Array] {
  return [
    Buffer.from(specs.map((s) => s.path + '\0').join('')),
    Buffer.concat(specs.map((s) => Buffer.from(s.data))),
    Float64Array.from(specs.flatMap((s) => [Buffer.byteLength(s.data), s.uid, s.gid, s.mode, s.atime, s.mtime])),
  ];
}

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-create-files-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('createFiles writes each file with its content, owner, mode (setuid after chown) and times', () =>
  withDir(async (dir) => {
    const specs: Spec[] = [
      { path: join(dir, 'a'), data: 'alpha', uid: 1000, gid: 1001, mode: 0o4755, atime: 1_500_000_000, mtime: 1_600_000_000.25 },
      { path: join(dir, 'empty'), data: '', uid: 0, gid: 0, mode: 0o600, atime: 0, mtime: 0 },
      { path: join(dir, 'big'), data: 'x'.repeat(200_000), uid: 7, gid: 8, mode: 0o2644, atime: 1, mtime: 2 },
    ];
    await createFiles(...encode(specs));
    for (const s of specs) {
      const st = lstatSync(s.path);
      assert.equal(st.isFile(), true);
      assert.equal(readFileSync(s.path, 'utf8'), s.data);
      assert.equal(st.uid, s.uid);
      assert.equal(st.gid, s.gid);
      assert.equal(st.mode & 0o7777, s.mode, `${s.path}: mode`);
      assert.equal(st.mtimeMs, s.mtime * 1000);
      assert.equal(st.atimeMs, s.atime * 1000);
    }
  }));

test('createFiles never writes over an existing name or through a symlink, and names the failed file', () =>
  withDir(async (dir) => {
    mkdirSync(join(dir, 'outside'));
    writeFileSync(join(dir, 'taken'), 'keep');
    symlinkSync(join(dir, 'outside/target'), join(dir, 'link'));
    const base = { data: 'new', uid: 0, gid: 0, mode: 0o644, atime: 0, mtime: 0 };
    for (const [victim, code] of [['taken', 'EEXIST'], ['link', 'EEXIST']] as const) {
      const specs = [{ ...base, path: join(dir, `first-${victim}`) }, { ...base, path: join(dir, victim) }, { ...base, path: join(dir, `after-${victim}`) }];
      await assert.rejects(createFiles(...encode(specs)), (err: NodeJS.ErrnoException & { index?: number }) => {
        assert.equal(err.code, code);
        assert.equal(err.syscall, 'open');
        assert.equal(err.path, join(dir, victim));
        assert.equal(err.index, 1);
        return true;
      });
      assert.equal(existsSync(join(dir, `first-${victim}`)), true, 'the files before the failure exist');
      assert.equal(existsSync(join(dir, `after-${victim}`)), false, 'the batch stops at the failure');
    }
    assert.equal(readFileSync(join(dir, 'taken'), 'utf8'), 'keep');
    assert.equal(existsSync(join(dir, 'outside/target')), false, 'nothing was created through the symlink');
    await assert.rejects(createFiles(...encode([{ ...base, path: join(dir, 'missing-dir/f') }])), { code: 'ENOENT', index: 0 });
  }));

test('createFiles refuses malformed batches before creating anything', () =>
  withDir(async (dir) => {
    const good = encode([{ path: join(dir, 'f'), data: 'abc', uid: 0, gid: 0, mode: 0o644, atime: 0, mtime: 0 }]);
    const cases: Array<[Buffer, Buffer, Float64Array]> = [
      [Buffer.from(join(dir, 'f')), good[1], good[2]], // no terminating NUL
      [Buffer.from(`${join(dir, 'f')}\0${join(dir, 'g')}\0`), good[1], good[2]], // more names than files
      [good[0], Buffer.from('abcd'), good[2]], // lengths do not add up
      [good[0], good[1], Float64Array.from([3, -1, 0, 0o644, 0, 0])], // negative uid
      [good[0], good[1], Float64Array.from([3, 0, 0, 0o644, NaN, 0])], // time not finite
      [good[0], good[1], Float64Array.from([3, 0, 0, 0o644, 0])], // not six numbers per file
      [Buffer.from('\0'), good[1], good[2]], // empty path
    ];
    for (const args of cases) assert.throws(() => createFiles(...args), TypeError);
    assert.throws(() => createFiles(good[0], good[1], new Float32Array(6) as unknown as Float64Array), TypeError);
    assert.equal(existsSync(join(dir, 'f')), false);
    await createFiles(...good);
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'abc');
  }));
