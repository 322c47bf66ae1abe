/**
 * Persists container records in SQLite (table `containers`) with an in-memory index. Every
 * change goes through `save`, which writes the row before the cache, so a crash never leaves the
 * cache ahead of the disk. Names are unique by a table constraint.
 */
import { migrate, type Db } from '../state/index.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../util/errors.js';
import type { ContainerRecord } from './container-record.js';

const migrations = [
  {
    sql: `CREATE TABLE containers (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      created TEXT NOT NULL,
      record TEXT NOT NULL
    );`,
  },
];

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();

  constructor(private readonly db: Db) {}

  load(): void {
    migrate(this.db, 'containers', migrations);
    for (const row of this.db.prepare('SELECT record FROM containers').all() as { record: string }[]) {
      const rec = JSON.parse(row.record) as ContainerRecord;
      this.byId.set(rec.Id, rec);
      this.byName.set(rec.Name, rec.Id);
    }
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  idForName(name: string): string | undefined {
    return this.byName.get(name.startsWith('/') ? name : `/${name}`);
  }

  /** Docker's lookup order: full id, exact name, then a unique id prefix. */
  resolve(ref: string): ContainerRecord {
    if (ref === '') throw new InvalidArgumentError('No such container: ');
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const named = this.idForName(ref);
    if (named) return this.byId.get(named)!;
    if (/^[a-f0-9]+$/.test(ref)) {
      let found: ContainerRecord | undefined;
      for (const [id, rec] of this.byId) {
        if (!id.startsWith(ref)) continue;
        if (found) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
        found = rec;
      }
      if (found) return found;
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  conflictFor(name: string, id: string): ConflictError {
    return new ConflictError(
      `Conflict. The container name "${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }

  /** Inserts a new record; refuses a name already taken. */
  insert(rec: ContainerRecord): void {
    const holder = this.byName.get(rec.Name);
    if (holder) throw this.conflictFor(rec.Name, holder);
    this.db.prepare('INSERT INTO containers (id, name, created, record) VALUES (?, ?, ?, ?)').run(rec.Id, rec.Name, rec.Created, JSON.stringify(rec));
    this.byId.set(rec.Id, rec);
    this.byName.set(rec.Name, rec.Id);
  }

  save(rec: ContainerRecord): void {
    const prev = this.byId.get(rec.Id);
    if (!prev) throw new NotFoundError(`No such container: ${rec.Id}`);
    const holder = this.byName.get(rec.Name);
    if (holder && holder !== rec.Id) throw this.conflictFor(rec.Name, holder);
    this.db.prepare('UPDATE containers SET name = ?, record = ? WHERE id = ?').run(rec.Name, JSON.stringify(rec), rec.Id);
    if (prev.Name !== rec.Name) this.byName.delete(prev.Name);
    this.byName.set(rec.Name, rec.Id);
    this.byId.set(rec.Id, rec);
  }

  delete(id: string): void {
    const rec = this.byId.get(id);
    if (!rec) return;
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    this.byId.delete(id);
    this.byName.delete(rec.Name);
  }
}
