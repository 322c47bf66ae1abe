/**
 * Overlay snapshots. A committed snapshot is one unpacked image layer, keyed by its chain id; an
 * active snapshot is a container's writable layer on top of a committed chain.
 *
 * Directories are `<root>/<n>/{fs,work}` with small numeric `n` so that an overlay mount with many
 * lower layers stays under the kernel's one-page limit for mount options.
 *
 * Crash safety: a snapshot row is inserted as `pending` before its directory is renamed into
 * place and only marked ready afterwards; `init` deletes pending rows, their directories and any
 * directory without a row. A ready row whose directory vanished is dropped too, and the layer is
 * unpacked again from its blob the next time an image needs it.
 */
import { mkdir, rename, rm, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrate, type Db } from '../state/index.js';
import { ConflictError, NotFoundError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export type SnapshotKind = 'committed' | 'active';

export interface Mounter {
  mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): Promise<void>;
  umount(target: string, flags?: number): Promise<void>;
}

/** A committed snapshot being filled (see Snapshotter.prepareCommitted). */
export interface PreparedSnapshot {
  /** Fill this directory with the layer's files. */
  readonly dir: string;
  commit(parent: string | null): Promise<void>;
  abort(): Promise<void>;
}

export interface OverlayMount {
  readonly type: 'overlay';
  readonly lowerdirs: readonly string[];
  readonly upperdir: string;
  readonly workdir: string;
}

interface Row {
  id: number;
  key: string;
  parent: string | null;
  kind: SnapshotKind;
  state: 'pending' | 'ready';
}

const migrations = [
  {
    sql: `CREATE TABLE snapshots (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      key TEXT NOT NULL UNIQUE,
      parent TEXT,
      kind TEXT NOT NULL,
      state TEXT NOT NULL,
      created TEXT NOT NULL
    );
    CREATE INDEX snapshots_parent ON snapshots(parent);`,
  },
];

const MNT_DETACH = 2;

export class Snapshotter {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly emptyDir: string;

  constructor(
    readonly root: string,
    private readonly db: Db,
    private readonly mounter: Mounter,
    private readonly log: Logger,
  ) {
    this.emptyDir = join(root, 'empty');
  }

  async init(): Promise<void> {
    migrate(this.db, 'snapshots', migrations);
    await mkdir(this.root, { recursive: true });
    await mkdir(this.emptyDir, { recursive: true });
    const pending = this.db.prepare("SELECT id FROM snapshots WHERE state = 'pending'").all() as { id: number }[];
    for (const { id } of pending) await rm(join(this.root, String(id)), { recursive: true, force: true });
    this.db.prepare("DELETE FROM snapshots WHERE state = 'pending'").run();
    const known = new Set((this.db.prepare('SELECT id FROM snapshots').all() as { id: number }[]).map((r) => String(r.id)));
    for (const name of await readdir(this.root)) {
      if (name === 'empty' || known.has(name)) continue;
      this.log.info('removing orphaned snapshot directory', { dir: name });
      await rm(join(this.root, name), { recursive: true, force: true });
    }
    for (const id of known) {
      const ok = await stat(join(this.root, id, 'fs')).then(() => true, () => false);
      if (!ok) {
        this.log.warn('snapshot directory missing; dropping its record', { id });
        this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(Number(id));
      }
    }
  }

  private row(key: string): Row | undefined {
    return this.db.prepare('SELECT id, key, parent, kind, state FROM snapshots WHERE key = ?').get(key) as Row | undefined;
  }

  has(key: string): boolean {
    return this.row(key)?.state === 'ready';
  }

  /** The directory holding a ready snapshot's files (the layer's content or the container's upper dir). */
  dir(key: string): string {
    const r = this.row(key);
    if (!r || r.state !== 'ready') throw new NotFoundError(`snapshot ${key} not found`);
    return join(this.root, String(r.id), 'fs');
  }

  /**
   * Makes the committed snapshot `key` exist, filling a fresh directory with `fill` if it does not.
   * Concurrent calls for one key share the work. If `fill` throws, nothing is kept.
   */
  async ensureCommitted(key: string, parent: string | null, fill: (dir: string) => Promise<void>): Promise<void> {
    if (this.has(key)) return;
    const running = this.inflight.get(key);
    if (running) return running;
    const work = this.create(key, parent, 'committed', fill).finally(() => this.inflight.delete(key));
    this.inflight.set(key, work);
    return work;
  }

  /** Creates a container's writable snapshot on top of the committed chain ending at `parent`. */
  async prepareActive(key: string, parent: string | null): Promise<void> {
    if (this.row(key)) throw new ConflictError(`snapshot ${key} already exists`);
    await this.create(key, parent, 'active', async () => {});
  }

  private async create(key: string, parent: string | null, kind: SnapshotKind, fill: (dir: string) => Promise<void>): Promise<void> {
    if (parent !== null && !this.has(parent)) throw new NotFoundError(`parent snapshot ${parent} not found`);
    const tmp = await this.makeTemp(kind);
    try {
      await fill(join(tmp, 'fs'));
      await this.publish(tmp, key, parent, kind);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  private async makeTemp(kind: SnapshotKind): Promise<string> {
    const tmp = join(this.root, `tmp-${randomBytes(8).toString('hex')}`);
    await mkdir(join(tmp, 'fs'), { recursive: true });
    if (kind === 'active') await mkdir(join(tmp, 'work'));
    return tmp;
  }

  /** Moves a filled temp directory into place as snapshot `key` (row pending → rename → ready). */
  private async publish(tmp: string, key: string, parent: string | null, kind: SnapshotKind): Promise<void> {
    if (parent !== null && !this.has(parent)) throw new NotFoundError(`parent snapshot ${parent} not found`);
    const id = Number(
      this.db
        .prepare("INSERT INTO snapshots (key, parent, kind, state, created) VALUES (?, ?, ?, 'pending', ?)")
        .run(key, parent, kind, new Date().toISOString()).lastInsertRowid,
    );
    try {
      await rename(tmp, join(this.root, String(id)));
    } catch (err) {
      this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(id);
      throw err;
    }
    this.db.prepare("UPDATE snapshots SET state = 'ready' WHERE id = ?").run(id);
  }

  /**
   * Starts a committed snapshot whose parent may not exist yet, so layers can be unpacked in
   * parallel and committed in order. The directory is outside the tree (a crash leaves a `tmp-`
   * directory that `init` removes). `commit` needs the parent committed; if another writer
   * committed `key` meanwhile, this copy is dropped. `abort` removes it.
   */
  async prepareCommitted(key: string): Promise<PreparedSnapshot> {
    const tmp = await this.makeTemp('committed');
    let settled = false;
    const abort = async (): Promise<void> => {
      if (settled) return;
      settled = true;
      await rm(tmp, { recursive: true, force: true });
    };
    const commit = async (parent: string | null): Promise<void> => {
      if (settled) throw new ConflictError(`snapshot ${key} was already committed or aborted`);
      for (;;) {
        const running = this.inflight.get(key);
        if (!running) break;
        await running.catch(() => {});
      }
      if (this.row(key)) {
        await abort();
        if (!this.has(key)) throw new ConflictError(`snapshot ${key} is being removed`);
        return;
      }
      settled = true;
      const work = this.publish(tmp, key, parent, 'committed').finally(() => this.inflight.delete(key));
      this.inflight.set(key, work);
      try {
        await work;
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
    };
    return { dir: join(tmp, 'fs'), commit, abort };
  }

  /** The chain of committed snapshot dirs from `key` down to the base layer (top first). */
  private lowerChain(key: string | null): string[] {
    const dirs: string[] = [];
    let k = key;
    while (k !== null) {
      const r = this.row(k);
      if (!r || r.state !== 'ready') throw new NotFoundError(`snapshot ${k} not found`);
      dirs.push(join(this.root, String(r.id), 'fs'));
      k = r.parent;
    }
    return dirs;
  }

  overlay(key: string): OverlayMount {
    const r = this.row(key);
    if (!r || r.state !== 'ready' || r.kind !== 'active') throw new NotFoundError(`active snapshot ${key} not found`);
    const base = join(this.root, String(r.id));
    const lowerdirs = this.lowerChain(r.parent);
    return { type: 'overlay', lowerdirs: lowerdirs.length ? lowerdirs : [this.emptyDir], upperdir: join(base, 'fs'), workdir: join(base, 'work') };
  }

  async mount(key: string, target: string, readonly = false): Promise<void> {
    const m = this.overlay(key);
    await mkdir(target, { recursive: true });
    const data = `lowerdir=${m.lowerdirs.join(':')},upperdir=${m.upperdir},workdir=${m.workdir},index=off`;
    await this.mounter.mount('overlay', target, 'overlay', readonly ? 1 : 0, data);
  }

  async unmount(target: string): Promise<void> {
    try {
      await this.mounter.umount(target, MNT_DETACH);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'EINVAL' && code !== 'ENOENT') throw err;
    }
  }

  keys(kind: SnapshotKind): string[] {
    return (this.db.prepare("SELECT key FROM snapshots WHERE kind = ? AND state = 'ready'").all(kind) as { key: string }[]).map((r) => r.key);
  }

  children(key: string): string[] {
    return (this.db.prepare('SELECT key FROM snapshots WHERE parent = ?').all(key) as { key: string }[]).map((r) => r.key);
  }

  /** Removes a snapshot that has no children. */
  async remove(key: string): Promise<void> {
    const r = this.row(key);
    if (!r) return;
    if (this.children(key).length) throw new ConflictError(`snapshot ${key} has children`);
    this.db.prepare("UPDATE snapshots SET state = 'pending' WHERE id = ?").run(r.id);
    await rm(join(this.root, String(r.id)), { recursive: true, force: true });
    this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(r.id);
  }
}
