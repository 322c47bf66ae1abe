/**
 * Shared helpers for this folder's tests: archives built with tar-stream (an independent
 * writer, able to craft hostile headers), throwaway roots beside an "outside" sentinel
 * directory, and fs ops that make real device nodes with coreutils' mknod.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fchmodSync, fchownSync, futimesSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, lstatSync, mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { RecordingFsOps } from './recording-fs-ops.js';
import { fileTypeBits } from './fs-ops.js';

export interface FixtureEntry {
  readonly header: Partial<tar.Header> & { name: string; pax?: Record<string, string> };
  readonly content?: string | Buffer;
}

/** A complete archive of `entries`, written by tar-stream. */
export async function tarOf(entries: readonly FixtureEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = { mtime: new Date(1_600_000_000_000), ...e.header };
      const isFile = (header.type ?? 'file') === 'file';
      if (isFile || e.content !== undefined) pack.entry(header, e.content ?? '', (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A stream of `bytes` in chunks of `chunkSize` (to exercise chunk boundaries). */
export function streamOf(bytes: Buffer, chunkSize = 7919): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export interface Sandbox {
  readonly base: string;
  /** The directory layers are applied to. */
  readonly root: string;
  /** A sentinel directory beside the root holding `secret` and `dir/`; must never change. */
  readonly outside: string;
  /** Throws if anything below `outside` was added, removed or changed. */
  assertOutsideUntouched(): void;
}

/**
 * One line per node below `dir`: name, mode, owner, size, links, mtime, then (`withContent`)
 * a hash of the file's bytes or the link's target, else the ctime (which shows any write at all).
 */
export function snapshot(dir: string, withContent = false): string {
  const lines: string[] = [];
  const visit = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = lstatSync(path);
      const tail = !withContent ? st.ctimeMs : st.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16) : st.isSymbolicLink() ? readlinkSync(path) : '';
      lines.push(`${prefix}${name} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.nlink} ${st.mtimeMs} ${tail}`);
      if (st.isDirectory()) visit(join(d, name), `${prefix}${name}/`);
    }
  };
  visit(dir, '');
  return lines.join('\n');
}

export async function withSandbox(fn: (s: Sandbox) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'berth-tar-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(join(outside, 'dir'), { recursive: true });
  writeFileSync(join(outside, 'secret'), 'secret');
  const before = snapshot(outside);
  try {
    await fn({
      base,
      root,
      outside,
      assertOutsideUntouched: () => {
        const after = snapshot(outside);
        if (after !== before) throw new Error(`the outside sentinel changed:\n--- before\n${before}\n--- after\n${after}`);
      },
    });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * RecordingFsOps that also creates real nodes with mknod(1) (runs as root); xattrs are only
 * recorded. `batched` adds createFiles (the reference below), so small files go in batches.
 */
export function nodeMakingFsOps(options: { batched?: boolean } = {}): RecordingFsOps {
  return new RecordingFsOps({
    ...(options.batched ? { createFiles: createFilesReference } : {}),
    mknod(path, mode, major, minor) {
      const type = mode & 0o170000;
      const perm = (mode & 0o7777).toString(8);
      if (type === fileTypeBits.S_IFIFO) execFileSync('mknod', ['-m', perm, path, 'p']);
      else execFileSync('mknod', ['-m', perm, path, type === fileTypeBits.S_IFBLK ? 'b' : 'c', String(major), String(minor)]);
    },
  });
}

/**
 * The LayerFsOps.createFiles contract in plain synchronous fs calls (src/sys has the native
 * one): lets this folder's tests send small files through the extractor's batching path.
 */
export async function createFilesReference(names: Buffer, data: Buffer, meta: Float64Array): Promise<void> {
  const paths = names.toString().split('\0').slice(0, -1);
  let offset = 0;
  for (let i = 0; i < paths.length; i++) {
    const [length, uid, gid, mode, atime, mtime] = meta.subarray(i * 6, i * 6 + 6) as unknown as number[];
    try {
      const fd = openSync(paths[i]!, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
      try {
        writeSync(fd, data, offset, length!);
        fchownSync(fd, uid!, gid!);
        fchmodSync(fd, mode!);
        futimesSync(fd, atime!, mtime!);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw Object.assign(err as Error, { index: i });
    }
    offset += length!;
  }
}
