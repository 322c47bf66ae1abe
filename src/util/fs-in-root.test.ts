import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRoot, readFileInRoot } from './fs-in-root.js';

test('symlinks resolve inside the root, never to the host', async () => {
  const base = mkdtempSync(join(tmpdir(), 'berth-root-'));
  try {
    const root = join(base, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'real'), { recursive: true });
    writeFileSync(join(base, 'secret'), 'host secret');
    writeFileSync(join(root, 'real', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    symlinkSync('/real/passwd', join(root, 'etc', 'passwd'));
    symlinkSync('../../../secret', join(root, 'etc', 'group'));
    symlinkSync(join(base, 'secret'), join(root, 'etc', 'abs'));
    symlinkSync('loop', join(root, 'loop'));
    assert.equal(await readFileInRoot(root, '/etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    assert.equal(await readFileInRoot(root, '/etc/group'), null);
    assert.equal(await readFileInRoot(root, '/etc/abs'), null);
    assert.equal(await resolveInRoot(root, '/etc/group'), join(root, 'secret'));
    assert.equal(await resolveInRoot(root, '/missing/../etc/x'), join(root, 'etc', 'x'));
    await assert.rejects(resolveInRoot(root, '/loop'), /too many levels/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
