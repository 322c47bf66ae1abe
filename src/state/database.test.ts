import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, migrate } from './database.js';

test('migrate applies each subsystem migration once, in order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-db-'));
  try {
    const path = join(dir, 'state.db');
    let db = openDatabase(path);
    migrate(db, 'things', [{ sql: 'CREATE TABLE t (a TEXT)' }]);
    db.prepare('INSERT INTO t VALUES (?)').run('x');
    db.close();
    db = openDatabase(path);
    migrate(db, 'things', [{ sql: 'CREATE TABLE t (a TEXT)' }, { sql: 'ALTER TABLE t ADD COLUMN b TEXT' }]);
    assert.deepEqual(db.prepare('SELECT a, b FROM t').all(), [{ a: 'x', b: null }]);
    assert.throws(() => migrate(db, 'things', [{ sql: 'SELECT 1' }]), /newer than this berthd knows/);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing migration leaves the schema untouched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-db-'));
  try {
    const db = openDatabase(join(dir, 'state.db'));
    assert.throws(() => migrate(db, 's', [{ sql: 'CREATE TABLE u (a TEXT)' }, { sql: 'NOT SQL' }]));
    assert.deepEqual(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'u'").get(), { n: 0 });
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
