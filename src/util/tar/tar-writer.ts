/**
 * Turns TarEntry descriptions into tar bytes (PAX format, as Docker writes layers): validated
 * names, whole-second times, no atime/ctime, no user or group names, two zero blocks at the end.
 * The same entries always give the same bytes.
 */
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { InternalError, InvalidArgumentError } from '../errors.js';
import { cleanEntryName, maxNameBytes } from './entry-name.js';
import { encodeHeader, paddingFor } from './tar-header.js';
import type { TarEntry, TarEntryType, TarFileSource } from './tar-entry.js';

export interface TarWriterOptions {
  /** mtime of entries that carry none (default: the epoch). */
  readonly mtime?: Date;
}

const typeflags: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

const readChunk = 64 * 1024;
const maxId = 0xfffffffe;

/** Yields the archive in chunks: header blocks, file data, padding, and the end marker. */
export async function* tarChunks(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>, options: TarWriterOptions = {}): AsyncGenerator<Buffer> {
  const defaultMtime = options.mtime ? toSeconds(options.mtime) : 0;
  /** Names written so far and whether each is a directory (hardlinks must point back at a non-directory). */
  const written = new Map<string, boolean>();
  for await (const entry of entries) {
    const context = `Cannot pack entry`;
    const name = cleanEntryName(entry.name, context);
    const shown = `${context} ${JSON.stringify(entry.name)}`;
    if (name === '') throw new InvalidArgumentError(`${shown}: the root itself is not an entry`);
    const typeflag = typeflags[entry.type];
    if (!typeflag) throw new InvalidArgumentError(`${shown}: unknown type ${JSON.stringify(entry.type)}`);
    const id = (value: number | undefined, what: string): number => {
      const v = value ?? 0;
      if (!Number.isInteger(v) || v < 0 || v > maxId) throw new InvalidArgumentError(`${shown}: invalid ${what} ${v}`);
      return v;
    };

    let linkname = '';
    if (entry.type === 'symlink') {
      linkname = entry.linkname ?? '';
      if (linkname === '' || linkname.includes('\0') || Buffer.byteLength(linkname) > maxNameBytes) {
        throw new InvalidArgumentError(`${shown}: invalid symlink target ${JSON.stringify(linkname)}`);
      }
    } else if (entry.type === 'hardlink') {
      linkname = cleanEntryName(entry.linkname ?? '', `${shown}: hardlink target`);
      if (written.get(linkname) !== false) {
        throw new InvalidArgumentError(`${shown}: hardlink target ${JSON.stringify(entry.linkname)} is not an earlier non-directory entry`);
      }
    }

    let content: Buffer | TarFileSource | null = null;
    if (entry.type === 'file' && entry.content !== undefined) {
      const c = entry.content;
      content = typeof c === 'string' ? Buffer.from(c) : c instanceof Uint8Array ? Buffer.from(c.buffer, c.byteOffset, c.byteLength) : c;
    } else if (entry.content !== undefined) {
      throw new InvalidArgumentError(`${shown}: only regular files have content`);
    }

    const defaultMode = entry.type === 'directory' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644;
    const isDevice = entry.type === 'character-device' || entry.type === 'block-device';
    const fields = {
      name: entry.type === 'directory' ? name + '/' : name,
      typeflag,
      mode: (entry.mode ?? defaultMode) & 0o7777,
      uid: id(entry.uid, 'uid'),
      gid: id(entry.gid, 'gid'),
      mtime: entry.mtime ? toSeconds(entry.mtime) : defaultMtime,
      linkname,
      devmajor: isDevice ? id(entry.devmajor, 'device major') : 0,
      devminor: isDevice ? id(entry.devminor, 'device minor') : 0,
      xattrs: entry.xattrs ?? new Map<string, Uint8Array>(),
    };
    written.set(name, entry.type === 'directory');

    if (content === null) {
      yield* encodeHeader({ ...fields, size: 0 });
    } else if (Buffer.isBuffer(content)) {
      yield* encodeHeader({ ...fields, size: content.length });
      if (content.length > 0) {
        yield content;
        yield paddingFor(content.length);
      }
    } else {
      yield* fileChunks(content, fields, shown);
    }
  }
  yield Buffer.alloc(1024);
}

/** Header and data of a host file, read without following a final symlink. */
async function* fileChunks(source: TarFileSource, fields: Omit<Parameters<typeof encodeHeader>[0], 'size'>, shown: string): AsyncGenerator<Buffer> {
  const handle = await open(source.path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    const size = source.size ?? (await handle.stat()).size;
    yield* encodeHeader({ ...fields, size });
    let done = 0;
    while (done < size) {
      const want = Math.min(readChunk, size - done);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, done);
      if (bytesRead === 0) throw new InternalError(`${shown}: ${source.path} shrank to ${done} bytes while it was read (expected ${size})`);
      done += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
    if (size > 0) yield paddingFor(size);
  } finally {
    await handle.close();
  }
}

function toSeconds(date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('Cannot pack entry: invalid mtime');
  return Math.floor(ms / 1000);
}
