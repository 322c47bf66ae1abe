/**
 * The daemon's one SQLite file. Each subsystem owns its tables and brings its own migrations;
 * this module only opens the file, sets crash-safe pragmas and applies migrations in order.
 *
 * WAL with synchronous=NORMAL survives a kill -9 of the daemon at any point (the WAL is replayed
 * on open); only a power loss can drop the last transactions, never tear them.
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface Migration {
  /** Applied in array order; the array index + 1 is the stored version. */
  readonly sql: string;
}

export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS schema_versions (
    subsystem TEXT PRIMARY KEY,
    version INTEGER NOT NULL
  )`);
  return db;
}

/** Applies the migrations of one subsystem that are newer than its stored version, atomically. */
export function migrate(db: Db, subsystem: string, migrations: readonly Migration[]): void {
  const row = db.prepare('SELECT version FROM schema_versions WHERE subsystem = ?').get(subsystem) as
    | { version: number }
    | undefined;
  const current = row?.version ?? 0;
  if (current > migrations.length) {
    throw new Error(`state.db has ${subsystem} schema version ${current}, newer than this berthd knows (${migrations.length})`);
  }
  const apply = db.transaction(() => {
    for (let v = current; v < migrations.length; v++) db.exec(migrations[v]!.sql);
    db.prepare(
      'INSERT INTO schema_versions (subsystem, version) VALUES (?, ?) ON CONFLICT(subsystem) DO UPDATE SET version = excluded.version',
    ).run(subsystem, migrations.length);
  });
  if (current < migrations.length) apply();
}
