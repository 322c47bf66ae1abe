/**
 * Tars a directory tree: `docker export`, committed container layers, the bootstrap image.
 */
import fs, { type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { InternalError, InvalidArgumentError } from '../errors.js';
import { joinName } from './entry-name.js';
import { isOverlayPrivateXattr, type XattrReader } from './fs-ops.js';
import type { TarEntry } from './tar-entry.js';
import { compareBytes } from './tar-header.js';
import { tarChunks } from './tar-writer.js';

export interface PackDirectoryOptions {
  /** Every entry gets this mtime (whole seconds) instead of its own: for reproducible archives. */
  readonly mtime?: Date;
  /** Every entry gets this owner instead of its own. */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** Reads xattrs into the archive (overlayfs' own `trusted.overlay.*` never are). Without it, none are stored. */
  readonly xattrs?: XattrReader;
}

/**
 * A tar of everything below `root` (not `root` itself), depth first with each directory's names
 * in byte order, so the same tree always gives the same bytes. Symlinks are stored, never
 * followed; files with several links become one file and hardlinks to its first name; devices
 * and fifos are stored; sockets are skipped (as Docker does). Modes keep setuid/setgid/sticky.
 * Times are whole seconds; atime and ctime are not stored. File content is read as the stream
 * is consumed: a file that shrinks meanwhile fails the stream.
 */
export function packDirectory(root: string, options: PackDirectoryOptions = {}): Readable {
  return Readable.from(tarChunks(readAhead(walk(resolve(root), options)), { mtime: options.mtime }), { objectMode: false });
}

/** Children stat'ed at once, and entries whose small files are read ahead of the writer. */
const statBatch = 64;
const readAheadEntries = 64;
const readAheadMaxFile = 128 * 1024;

async function* walk(root: string, options: PackDirectoryOptions): AsyncGenerator<TarEntry> {
  const rootStat = await lstat(root);
  if (!rootStat.isDirectory()) throw new InvalidArgumentError(`Cannot pack ${root}: not a directory`);
  /** First name of each multiply-linked inode, by "dev:ino". */
  const firstNames = new Map<string, string>();

  async function* visit(dir: string): AsyncGenerator<TarEntry> {
    const names = (await readdir(dir === '' ? root : root + '/' + dir)).sort(compareBytes);
    const stats: Stats[] = [];
    for (let i = 0; i < names.length; i += statBatch) {
      stats.push(...(await Promise.all(names.slice(i, i + statBatch).map((child) => lstat(root + '/' + joinName(dir, child))))));
    }
    for (const [i, child] of names.entries()) {
      const name = joinName(dir, child);
      const host = root + '/' + name;
      const st = stats[i]!;
      const common = {
        name,
        mode: st.mode & 0o7777,
        uid: options.owner?.uid ?? st.uid,
        gid: options.owner?.gid ?? st.gid,
        mtime: options.mtime ?? new Date(Math.floor(st.mtimeMs / 1000) * 1000),
        xattrs: options.xattrs ? await readXattrs(options.xattrs, host) : undefined,
      };
      if (st.isDirectory()) {
        yield { ...common, type: 'directory' };
        yield* visit(name);
        continue;
      }
      if (st.isSocket()) continue;
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = firstNames.get(key);
        if (first !== undefined) {
          yield { ...common, type: 'hardlink', linkname: first };
          continue;
        }
        firstNames.set(key, name);
      }
      if (st.isFile()) yield { ...common, type: 'file', content: { path: host, size: st.size } };
      else if (st.isSymbolicLink()) yield { ...common, type: 'symlink', linkname: await readlink(host) };
      else if (st.isFIFO()) yield { ...common, type: 'fifo' };
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        yield { ...common, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(st.rdev), devminor: minor(st.rdev) };
      }
    }
  }
  yield* visit('');
}

/**
 * Passes entries through, reading small host files into memory up to `readAheadEntries` entries
 * before the writer needs them, so their reads overlap instead of queueing one by one.
 */
async function* readAhead(entries: AsyncIterable<TarEntry>): AsyncGenerator<TarEntry> {
  const queue: Promise<TarEntry>[] = [];
  for await (const entry of entries) {
    const ready = preload(entry);
    ready.catch(() => {}); // awaited in order below
    queue.push(ready);
    if (queue.length >= readAheadEntries) yield await queue.shift()!;
  }
  while (queue.length > 0) yield await queue.shift()!;
}

async function preload(entry: TarEntry): Promise<TarEntry> {
  const source = entry.content;
  if (entry.type !== 'file' || !source || typeof source === 'string' || source instanceof Uint8Array) return entry;
  if (source.size === undefined || source.size > readAheadMaxFile) return entry;
  return { ...entry, content: await readSmallFile(source.path, source.size, entry.name) };
}

/** Exactly `size` bytes of a file, opened without following a final symlink (one callback chain). */
function readSmallFile(path: string, size: number, name: string): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    fs.open(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW, (openErr, fd) => {
      if (openErr) return reject(openErr);
      const buf = Buffer.allocUnsafe(size);
      let done = 0;
      const finish = (err: Error | null): void => fs.close(fd, (closeErr) => (err ?? closeErr ? reject(err ?? closeErr) : resolvePromise(buf)));
      const next = (): void => {
        if (done === size) return finish(null);
        fs.read(fd, buf, done, size - done, done, (err, n) => {
          if (err) return finish(err);
          if (n === 0) return finish(new InternalError(`Cannot pack entry ${JSON.stringify(name)}: ${path} shrank to ${done} bytes while it was read (expected ${size})`));
          done += n;
          next();
        });
      };
      next();
    });
  });
}

async function readXattrs(reader: XattrReader, path: string): Promise<Map<string, Uint8Array> | undefined> {
  const names = (await reader.llistxattr(path)).filter((n) => !isOverlayPrivateXattr(n)).sort(compareBytes);
  if (names.length === 0) return undefined;
  const xattrs = new Map<string, Uint8Array>();
  for (const name of names) xattrs.set(name, await reader.lgetxattr(path, name));
  return xattrs;
}

/** glibc's gnu_dev_major / gnu_dev_minor. */
function major(rdev: number): number {
  const d = BigInt(rdev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
}

function minor(rdev: number): number {
  const d = BigInt(rdev);
  return Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
}
