/**
 * The registry's content-addressed blobs, shared by every repository (the repository's link says
 * whether a blob belongs to it). A blob file appears only complete and verified: its bytes are
 * written under ingest/ or uploads/ on the same filesystem, hashed while they stream, fsynced, and
 * renamed into place; then the directory is fsynced. An existing blob is never overwritten.
 */
import { createReadStream } from 'node:fs';
import { open, rename, unlink, utimes } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Digester, type Digest } from '../../util/digest.js';
import { RegistryError } from '../../distribution/index.js';
import { writeNewFileSynced } from '../../util/atomic-write.js';
import { ensureDir, fsyncDir, isNotFound, listDir, statOrUndefined, tempPathIn } from './fs-helpers.js';
import type { StoragePaths } from './paths.js';

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
  readonly mtimeMs: number;
}

export class BlobStore {
  constructor(private readonly paths: StoragePaths) {}

  async init(): Promise<void> {
    await ensureDir(this.paths.blobs);
    await ensureDir(this.paths.ingest);
  }

  path(d: Digest): string {
    return this.paths.blob(d);
  }

  async stat(d: Digest): Promise<BlobInfo | undefined> {
    const s = await statOrUndefined(this.paths.blob(d));
    return s && { digest: d, ...s };
  }

  /**
   * Moves a verified file (already fsynced by the caller) into place as blob `d`. When the blob
   * exists already, the file is dropped and the blob's time refreshed (it was just pushed again).
   */
  async commitFile(file: string, d: Digest): Promise<void> {
    const target = this.paths.blob(d);
    if (await statOrUndefined(target)) {
      await unlink(file).catch(() => {});
      const now = new Date();
      await utimes(target, now, now).catch(() => {});
      return;
    }
    await ensureDir(this.paths.blobDir(d));
    await rename(file, target);
    await fsyncDir(this.paths.blobDir(d));
  }

  /** A fresh path under ingest/ for bytes on their way in; commitFile moves it into place. */
  newIngestPath(): string {
    return tempPathIn(this.paths.ingest);
  }

  /** Writes bytes whose digest the caller knows (manifests) as a blob, atomically. */
  async putBytes(bytes: Buffer, d: Digest): Promise<void> {
    if (await statOrUndefined(this.paths.blob(d))) return;
    const tmp = tempPathIn(this.paths.ingest);
    await writeNewFileSynced(tmp, bytes);
    await this.commitFile(tmp, d);
  }

  /**
   * Streams `body` into a new blob, hashing on the way; refuses it (DIGEST_INVALID, SIZE_INVALID)
   * unless it matches `expected` and, when given, `expectedSize`. Nothing is stored on refusal.
   */
  async ingest(body: Readable, expected: Digest, expectedSize?: number): Promise<{ size: number }> {
    const tmp = tempPathIn(this.paths.ingest);
    const fh = await open(tmp, 'wx', 0o644);
    const digester = new Digester();
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        digester.update(buf);
        await fh.write(buf);
      }
      if (expectedSize !== undefined && digester.size !== expectedSize) {
        throw new RegistryError('SIZE_INVALID', `provided length did not match content length: got ${digester.size} bytes, expected ${expectedSize}`);
      }
      const got = digester.digest();
      if (got !== expected) throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected, got });
      await fh.sync();
    } catch (err) {
      await fh.close();
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await fh.close();
    await this.commitFile(tmp, expected);
    return { size: digester.size };
  }

  openRead(d: Digest, range?: { start: number; end: number }): Readable {
    return createReadStream(this.paths.blob(d), { highWaterMark: 256 * 1024, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async delete(d: Digest): Promise<void> {
    try {
      await unlink(this.paths.blob(d));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Every blob digest on disk (the sweep's candidates). */
  async *list(): AsyncGenerator<Digest> {
    for (const prefix of await listDir(this.paths.blobs)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const hex of await listDir(`${this.paths.blobs}/${prefix}`)) {
        if (/^[0-9a-f]{64}$/.test(hex) && hex.startsWith(prefix)) yield `sha256:${hex}` as Digest;
      }
    }
  }

  /** Start-up repair: bytes left in ingest/ by a crash never became blobs; remove them. */
  async clearIngest(): Promise<number> {
    const names = await listDir(this.paths.ingest);
    await Promise.all(names.map((n) => unlink(`${this.paths.ingest}/${n}`).catch(() => {})));
    return names.length;
  }
}
