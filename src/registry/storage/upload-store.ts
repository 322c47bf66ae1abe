/**
 * Blob upload sessions (POST → PATCH… → PUT). Each lives in uploads/<id>/: `data`, the bytes
 * received so far in order, and `info`, its repository and start time. A session's sha256 state is
 * kept in memory and advanced as chunks arrive, so closing it needs no second read; a session
 * found on disk after a restart is re-hashed from its data once, then continues. A chunk is all
 * or nothing while the server runs: a chunk that fails or is cut short is cut back off the file.
 * After a crash the file's length is what was received, and the status request reports it; the
 * data is fsynced once, when the session closes and before it becomes a blob.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Digest } from '../../util/digest.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { RegistryError } from '../../distribution/index.js';
import { ensureDir, isNotFound, listDir, randomName, removeTree } from './fs-helpers.js';
import type { StoragePaths } from './paths.js';

export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  readonly startedAt: number;
  /** Bytes received so far. */
  size: number;
  /** The hash of the first `size` bytes, when known (absent after a restart until needed). */
  hash: Hash | undefined;
}

const uploadIdPattern = /^[0-9a-f]{32}$/;

export function isUploadId(id: string): boolean {
  return uploadIdPattern.test(id);
}

export class UploadStore {
  private readonly sessions = new Map<string, UploadSession>();
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly paths: StoragePaths,
    private readonly now: () => number = Date.now,
  ) {}

  async init(): Promise<void> {
    await ensureDir(this.paths.uploads);
  }

  private dataPath(id: string): string {
    return join(this.paths.upload(id), 'data');
  }

  /** Path of a session's bytes, for committing them as a blob. */
  dataFile(s: UploadSession): string {
    return this.dataPath(s.id);
  }

  async create(repository: string): Promise<UploadSession> {
    const id = randomName();
    const dir = this.paths.upload(id);
    await ensureDir(dir);
    const startedAt = this.now();
    await (await open(this.dataPath(id), 'wx', 0o644)).close();
    // Not fsynced: a session whose info a power cut tore is unknown afterwards, and the client starts over.
    await writeFile(join(dir, 'info'), JSON.stringify({ repository, startedAt }), { mode: 0o644 });
    const s: UploadSession = { id, repository, startedAt, size: 0, hash: createHash('sha256') };
    this.sessions.set(id, s);
    return s;
  }

  /** The session `id` of `repository`, from memory or disk; BLOB_UPLOAD_UNKNOWN otherwise. */
  async get(repository: string, id: string): Promise<UploadSession> {
    const unknown = () => new RegistryError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { id });
    if (!isUploadId(id)) throw unknown();
    let s = this.sessions.get(id);
    if (!s) {
      try {
        const info = JSON.parse(await readFile(join(this.paths.upload(id), 'info'), 'utf8')) as { repository: string; startedAt: number };
        const size = (await stat(this.dataPath(id))).size;
        s = this.sessions.get(id) ?? { id, repository: info.repository, startedAt: info.startedAt, size, hash: undefined };
        this.sessions.set(id, s);
      } catch (err) {
        if (isNotFound(err) || err instanceof SyntaxError) throw unknown();
        throw err;
      }
    }
    if (s.repository !== repository) throw unknown();
    return s;
  }

  /** Runs `fn` with the session alone (chunks of one upload never interleave). */
  exclusive<T>(s: UploadSession, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(s.id, fn);
  }

  private async ensureHash(s: UploadSession): Promise<Hash> {
    if (s.hash) return s.hash;
    const h = createHash('sha256');
    if (s.size > 0) for await (const chunk of createReadStream(this.dataPath(s.id), { start: 0, end: s.size - 1 })) h.update(chunk as Buffer);
    s.hash = h;
    return h;
  }

  /**
   * Appends one chunk. `start`, when the client gave a Content-Range, must be the current size
   * (else RANGE_INVALID, 416); `length`, when known, must be what arrived. Call inside `exclusive`.
   */
  async append(s: UploadSession, body: Readable, opts: { start?: number; length?: number } = {}): Promise<void> {
    if (opts.start !== undefined && opts.start !== s.size) {
      body.resume();
      throw new RegistryError('RANGE_INVALID', `chunk starts at ${opts.start}, the upload has ${s.size} bytes`, { size: s.size }, 416);
    }
    const hash = await this.ensureHash(s);
    const before = hash.copy();
    const fh = await open(this.dataPath(s.id), 'r+');
    let pos = s.size;
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await fh.write(buf, off, buf.length - off, pos);
          off += bytesWritten;
          pos += bytesWritten;
        }
        hash.update(buf);
      }
      if (opts.length !== undefined && pos - s.size !== opts.length) {
        throw new RegistryError('SIZE_INVALID', `chunk length ${pos - s.size} does not match Content-Length ${opts.length}`);
      }
      // No fsync per chunk: the bytes are fsynced once, before the closing PUT renames them into blobs/.
      s.size = pos;
    } catch (err) {
      await fh.truncate(s.size).catch(() => {});
      s.hash = before;
      throw err;
    } finally {
      await fh.close();
    }
  }

  /** The digest of everything received; consumes the hash state (the session ends after). */
  async digestOf(s: UploadSession): Promise<Digest> {
    const h = await this.ensureHash(s);
    return `sha256:${h.copy().digest('hex')}` as Digest;
  }

  async remove(s: UploadSession): Promise<void> {
    this.sessions.delete(s.id);
    await removeTree(this.paths.upload(s.id));
  }

  /** Removes sessions idle (no byte received) for `maxAgeMs` or more; returns how many. */
  async purge(maxAgeMs: number): Promise<number> {
    let removed = 0;
    const cutoff = this.now() - maxAgeMs;
    for (const id of await listDir(this.paths.uploads)) {
      if (this.mutex.isLocked(id)) continue;
      const dir = this.paths.upload(id);
      let last: number;
      try {
        last = (await stat(isUploadId(id) ? this.dataPath(id) : dir)).mtimeMs;
      } catch {
        last = -Infinity; // a session without data is a torn create: remove it
      }
      if (last >= cutoff || this.mutex.isLocked(id)) continue;
      this.sessions.delete(id);
      await removeTree(dir);
      removed++;
    }
    return removed;
  }
}
