import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../state/index.js';
import { Logger } from '../util/log.js';
import { Snapshotter } from './snapshotter.js';

const noMounts = { mount: async () => {}, umount: async () => {} };

function open(dir: string): { s: Snapshotter; close: () => void } {
  const db = openDatabase(join(dir, 'state.db'));
  const s = new Snapshotter(join(dir, 'snapshots'), db, noMounts, Logger.silent());
  return { s, close: () => db.close() };
}

test('prepared snapshots fill in any order and commit only on top of a committed parent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-snap-'));
  try {
    const { s, close } = open(dir);
    await s.init();
    const child = await s.prepareCommitted('c2');
    const base = await s.prepareCommitted('c1');
    writeFileSync(join(child.dir, 'top'), 'child');
    writeFileSync(join(base.dir, 'bottom'), 'base');
    assert.equal(s.has('c2'), false);
    await assert.rejects(child.commit('c1'), /parent snapshot c1 not found/);
    // A failed commit leaves nothing; a fresh prepare of the same key works after the parent.
    assert.equal(s.has('c2'), false);
    await base.commit(null);
    const again = await s.prepareCommitted('c2');
    writeFileSync(join(again.dir, 'top'), 'child');
    await again.commit('c1');
    assert.equal(readFileSync(join(s.dir('c2'), 'top'), 'utf8'), 'child');
    assert.equal(readFileSync(join(s.dir('c1'), 'bottom'), 'utf8'), 'base');
    assert.deepEqual(s.children('c1'), ['c2']);
    assert.deepEqual(readdirSync(join(dir, 'snapshots')).filter((n) => n.startsWith('tmp-')), []);
    close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second writer of the same key is dropped; abort removes the directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-snap-'));
  try {
    const { s, close } = open(dir);
    await s.init();
    const a = await s.prepareCommitted('k');
    const b = await s.prepareCommitted('k');
    writeFileSync(join(a.dir, 'f'), 'a');
    writeFileSync(join(b.dir, 'f'), 'b');
    await Promise.all([a.commit(null), b.commit(null)]);
    assert.ok(['a', 'b'].includes(readFileSync(join(s.dir('k'), 'f'), 'utf8')));
    assert.deepEqual(s.keys('committed'), ['k']);
    const c = await s.prepareCommitted('other');
    await c.abort();
    await assert.rejects(c.commit(null), /already committed or aborted/);
    assert.deepEqual(readdirSync(join(dir, 'snapshots')).filter((n) => n.startsWith('tmp-')), []);
    close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init removes half-made snapshots a crash left: temp dirs and pending rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-snap-'));
  try {
    let { s, close } = open(dir);
    await s.init();
    const kept = await s.prepareCommitted('kept');
    await kept.commit(null);
    const lost = await s.prepareCommitted('lost');
    writeFileSync(join(lost.dir, 'x'), 'half');
    const db = openDatabase(join(dir, 'state.db'));
    db.prepare("INSERT INTO snapshots (key, parent, kind, state, created) VALUES ('pending', NULL, 'committed', 'pending', 'now')").run();
    const pendingId = (db.prepare("SELECT id FROM snapshots WHERE key = 'pending'").get() as { id: number }).id;
    mkdirSync(join(dir, 'snapshots', String(pendingId), 'fs'), { recursive: true });
    db.close();
    close();
    ({ s, close } = open(dir));
    await s.init();
    assert.deepEqual(s.keys('committed'), ['kept']);
    assert.deepEqual(readdirSync(join(dir, 'snapshots')).sort(), ['1', 'empty']);
    close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
