/**
 * Content-addressed blobs under `<root>/blobs/sha256/<hex>`.
 *
 * Writers stream into `<root>/ingest/<random>`; `commit` fsyncs, checks size and digest, and
 * renames into place, then fsyncs the directory. A blob path therefore exists only when its bytes
 * are complete and verified; readers never see an ingest. Ingests left by a crash are removed by
 * `cleanupIngests` at start-up.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, readFile, unlink, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Digester, digestHex, isDigest, type Digest } from '../util/digest.js';
import { fsyncDir } from '../util/atomic-write.js';
import { InvalidArgumentError, NotFoundError, errnoCode } from '../util/errors.js';

export interface Expected {
  readonly digest?: Digest;
  readonly size?: number;
}

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

export class ContentStore {
  private readonly blobDir: string;
  private readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  async init(): Promise<void> {
    await mkdir(this.blobDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
  }

  /** Removes ingests that a crash left half-written. Call before serving. */
  async cleanupIngests(): Promise<number> {
    const names = await readdir(this.ingestDir);
    await Promise.all(names.map((n) => rm(join(this.ingestDir, n), { force: true, recursive: true })));
    return names.length;
  }

  blobPath(digest: Digest): string {
    return join(this.blobDir, digestHex(digest));
  }

  async info(digest: Digest): Promise<BlobInfo> {
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new NotFoundError(`blob ${digest} not found`);
      throw err;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.blobPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  async readBytes(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new NotFoundError(`blob ${digest} not found`);
      throw err;
    }
  }

  async readJson<T>(digest: Digest): Promise<T> {
    return JSON.parse((await this.readBytes(digest)).toString('utf8')) as T;
  }

  readStream(digest: Digest, options?: { start?: number; end?: number }): Readable {
    return createReadStream(this.blobPath(digest), options);
  }

  /** Starts an ingest. The writer must be committed or aborted. */
  async writer(expected: Expected = {}): Promise<BlobWriter> {
    const path = join(this.ingestDir, randomBytes(12).toString('hex'));
    const fh = await open(path, 'wx', 0o644);
    return new BlobWriter(this, path, fh, expected);
  }

  async writeBlob(data: Uint8Array | string, expected: Expected = {}): Promise<BlobInfo> {
    const w = await this.writer(expected);
    try {
      await w.write(typeof data === 'string' ? Buffer.from(data) : data);
      return await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  async writeStream(input: Readable, expected: Expected = {}): Promise<BlobInfo> {
    const w = await this.writer(expected);
    try {
      for await (const chunk of input) await w.write(chunk as Buffer);
      return await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.blobDir);
    return names.map((n) => `sha256:${n}`).filter(isDigest);
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await unlink(this.blobPath(digest));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }

  /** @internal used by BlobWriter: the ingest file is already fsynced and closed. */
  async _publish(path: string, info: BlobInfo): Promise<void> {
    if (await this.has(info.digest)) {
      await rm(path, { force: true });
      return;
    }
    await rename(path, this.blobPath(info.digest));
    await fsyncDir(this.blobDir);
  }
}

/** One blob being written. Bytes are hashed as they arrive so commit needs no second read. */
export class BlobWriter {
  private readonly digester = new Digester();
  private done = false;

  constructor(
    private readonly store: ContentStore,
    private readonly path: string,
    private readonly fh: FileHandle,
    private readonly expected: Expected,
  ) {}

  get size(): number {
    return this.digester.size;
  }

  /**
   * Where the unverified bytes are being written. Only for a reader that follows the ingest as it
   * grows (a pull unpacks a layer while it downloads); the path is gone after commit or abort,
   * so such a reader opens it before either.
   */
  get ingestPath(): string {
    return this.path;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.digester.update(chunk);
    if (this.expected.size !== undefined && this.digester.size > this.expected.size) {
      throw new InvalidArgumentError(`blob is larger than the expected ${this.expected.size} bytes`);
    }
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
  }

  /** Verifies and publishes the blob. On mismatch the ingest is removed and nothing is stored. */
  async commit(): Promise<BlobInfo> {
    const digest = this.digester.digest();
    const size = this.digester.size;
    const e = this.expected;
    if (e.size !== undefined && e.size !== size) {
      await this.abort();
      throw new InvalidArgumentError(`size mismatch: expected ${e.size} bytes, got ${size}`);
    }
    if (e.digest !== undefined && e.digest !== digest) {
      await this.abort();
      throw new InvalidArgumentError(`digest mismatch: expected ${e.digest}, got ${digest}`);
    }
    this.done = true;
    const info = { digest, size };
    try {
      await this.fh.sync();
      await this.fh.close();
      await this.store._publish(this.path, info);
    } catch (err) {
      await rm(this.path, { force: true });
      throw err;
    }
    return info;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => {});
    await rm(this.path, { force: true });
  }
}
