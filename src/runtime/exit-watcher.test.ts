import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitWatcher, type ExitEvent } from './exit-watcher.js';
import { Logger } from '../util/log.js';

const id = 'ab'.repeat(32);

test('a temp file written before the rename is not taken for the exit file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exit-watcher-'));
  const w = new ExitWatcher(dir, Logger.silent());
  const events: ExitEvent[] = [];
  w.on('exit', (e) => events.push(e));
  try {
    // What conmon's g_file_set_contents leaves for a moment: `<id>.XXXXXX` with the full content.
    writeFileSync(join(dir, `${id}.Q1W2E3`), '137');
    await w.start();
    await w.scan();
    assert.deepEqual(events, []);
    assert.ok(existsSync(join(dir, `${id}.Q1W2E3`)), 'the temp file is left for conmon to rename');
    renameSync(join(dir, `${id}.Q1W2E3`), join(dir, id));
    // The inotify event or the scan reports it, whichever runs first; either way only once.
    await w.scan();
    for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(events, [{ id, exitCode: 137 }]);
    assert.equal(existsSync(join(dir, id)), false, 'a reported exit file is deleted');
  } finally {
    w.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
