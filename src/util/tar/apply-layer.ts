/**
 * Applies an image layer (or a `docker import` rootfs tarball) to a directory, as Docker's
 * overlay2 driver does, in the OCI image-spec layer format.
 */
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { Digester, type Digest } from '../digest.js';
import { BerthError, InvalidArgumentError, errorMessage } from '../errors.js';
import type { LayerFsOps } from './fs-ops.js';
import { LayerExtractor } from './layer-extractor.js';
import type { LayerEntry, LayerEntryType, WhiteoutFormat } from './layer-entry.js';
import { paxXattrPrefix } from './pax.js';
import { TarScanner } from './tar-scanner.js';

export interface ApplyLayerOptions {
  /**
   * 'overlay': the layer is unpacked into its own snapshot directory; `.wh.<name>` becomes a 0:0
   * character device `<name>` and `.wh..wh..opq` the xattr `trusted.overlay.opaque=y` on its
   * directory. 'apply': the layer is applied onto a merged tree; `<name>` is deleted and an
   * opaque directory loses its earlier contents.
   */
  readonly whiteoutFormat: WhiteoutFormat;
  /** mknod and lsetxattr (src/sys). Without them, device nodes, fifos, overlay whiteouts and xattrs fail with NotImplementedError. */
  readonly fsOps?: LayerFsOps;
  /** Drop the entries' xattrs instead of setting them (the overlay opaque marker is still set). */
  readonly ignoreXattrs?: boolean;
}

export interface ApplyLayerResult {
  /** Tar entries read (PAX and GNU meta headers not counted), including whiteouts. */
  readonly entries: number;
  /** Bytes of uncompressed input read, all of it (what `diffId` covers). */
  readonly bytes: number;
  /** Sum of the regular files' sizes. */
  readonly size: number;
  /** sha256 of the raw uncompressed input: the layer's diff id. */
  readonly diffId: Digest;
}

/** The header as tar-stream hands it over (its typings are narrower than what it yields). */
type ParsedHeader = Omit<tar.Header, 'type' | 'linkname' | 'pax'> & {
  type: tar.Header['type'] | 'pax-header' | 'pax-global-header' | null;
  linkname: string | null;
  pax?: Record<string, string> | null;
  byteOffset?: number;
};

/**
 * Unpacks the uncompressed tar stream `input` into the directory `root`.
 *
 * Names are root-relative (`/etc/x` lands at `<root>/etc/x`); an entry whose name climbs above the
 * root, that would be written through a symlink inside the root, or a hardlink whose target is
 * outside the root, missing, or behind a symlink makes the whole layer fail with
 * InvalidArgumentError. Symlinks are stored as they are and never followed. Ownership, modes
 * (setuid/setgid/sticky included), times and xattrs come from the headers; directories' times are
 * set last. An entry replaces a non-directory at its path, a directory over a directory merges,
 * and a non-directory over a directory removes it. Entries in the same layer are never deleted by
 * its whiteouts. Reading stops at the end-of-archive marker; the rest of the input is still read
 * and hashed into `diffId`.
 *
 * Failure contract: when the promise rejects, `root` is left half-written and the input is
 * destroyed. Callers unpack into a fresh directory, rename it into place only on success, and
 * discard it on failure; nothing outside `root` is ever written.
 *
 * Errors: InvalidArgumentError for hostile, malformed or truncated archives; NotImplementedError
 * when an entry needs an fsOps call that was not given; errors of `input` itself are passed
 * through unchanged; InternalError for other file-system failures.
 */
export async function applyLayer(input: Readable, root: string, options: ApplyLayerOptions): Promise<ApplyLayerResult> {
  root = resolve(root);
  const rootStat = await lstat(root);
  if (!rootStat.isDirectory()) throw new InvalidArgumentError(`Cannot apply layer: ${root} is not a directory`);

  const extractor = await LayerExtractor.create(root, options);
  const scanner = new TarScanner();
  const digester = new Digester();
  // Go's archive/tar (Docker) also reads pre-POSIX (V7) headers; checksums are verified either way.
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  let tarError: Error | undefined;
  extract.on('error', (err: Error) => (tarError ??= err));
  const invalidTar = (err: unknown): InvalidArgumentError => {
    const cause = tarError ?? err;
    return new InvalidArgumentError(`Cannot apply layer: invalid tar stream: ${errorMessage(cause)}`, { cause });
  };
  const feed = new Feeder(input, extract, scanner, digester);
  const feeding = feed.run();
  feeding.catch(() => {}); // awaited below; this only keeps an early rejection from counting as unhandled
  let entries = 0;
  let size = 0;
  try {
    for await (const data of extract) {
      const header = data.header as unknown as ParsedHeader;
      const entry = decodeEntry(header, header.byteOffset === undefined ? undefined : scanner.take(header.byteOffset));
      entries++;
      if (entry.type === 'file') size += entry.size;
      const content = readTarData(data as AsyncIterable<Buffer>, invalidTar);
      // tar-stream gives directories no data stream to read, whatever their size says.
      if (entry.type !== 'file' && header.type !== 'directory') await drain(content);
      const consumed = await extractor.apply(entry, entry.type === 'file' ? content : null);
      if (entry.type === 'file' && !consumed) await drain(content);
    }
    await extractor.finish();
  } catch (err) {
    feed.stop();
    extract.destroy();
    input.destroy();
    await extractor.settle().catch(() => {}); // nothing may write under root once we reject
    const inputError = await feeding.then(() => undefined, (e: unknown) => e);
    if (inputError !== undefined) throw inputError;
    if (tarError) throw invalidTar(err);
    if (err instanceof BerthError) throw err;
    throw invalidTar(err);
  }
  await feeding;
  return { entries, bytes: digester.size, size, diffId: digester.digest() };
}

/** An entry's data, with a failure of the archive (truncation …) reported as InvalidArgumentError. */
async function* readTarData(data: AsyncIterable<Buffer>, invalidTar: (err: unknown) => Error): AsyncGenerator<Buffer> {
  try {
    yield* data;
  } catch (err) {
    throw invalidTar(err);
  }
}

/**
 * Copies the input into tar-stream, hashing every byte and stopping the archive at its end
 * marker. Rejects only with errors of the input itself.
 */
class Feeder {
  private stopped = false;

  constructor(
    private readonly input: Readable,
    private readonly extract: tar.Extract,
    private readonly scanner: TarScanner,
    private readonly digester: Digester,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    let inArchive = true;
    try {
      for await (const chunk of this.input as AsyncIterable<Buffer | string>) {
        if (this.stopped) return;
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        this.digester.update(buf);
        if (!inArchive) continue;
        const n = this.scanner.write(buf);
        if (n > 0 && !this.extract.write(n === buf.length ? buf : buf.subarray(0, n))) await this.drained();
        if (this.scanner.ended) {
          inArchive = false;
          this.extract.end(null);
        }
      }
      if (inArchive && !this.stopped) this.extract.end(null);
    } catch (err) {
      if (this.stopped) return;
      this.extract.destroy(err as Error);
      throw err;
    }
  }

  private drained(): Promise<void> {
    const extract = this.extract;
    if (extract.destroyed || extract.destroying) return Promise.resolve();
    return new Promise((resolveDrained) => {
      const done = (): void => {
        extract.off('drain', done);
        extract.off('close', done);
        resolveDrained();
      };
      extract.once('drain', done);
      extract.once('close', done);
    });
  }
}

async function drain(data: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of data) {
    // discard
  }
}

const entryTypes: Partial<Record<string, LayerEntryType>> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'character-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

const maxId = 0xfffffffe;
/** The last second Go's time can express in nanoseconds since the epoch (year 2262). */
const maxTime = 9_223_372_036;

/** Docker's boundTime: times before the epoch or past 2262 become the epoch (Node would even turn negative ones into "now"). */
function boundTime(seconds: number): number {
  return seconds < 0 || seconds > maxTime ? 0 : seconds;
}

/** Types the header, applying the PAX records tar-stream leaves alone (uid, gid, times, xattrs). */
export function decodeEntry(header: ParsedHeader, rawPax: ReadonlyMap<string, Buffer> | undefined): LayerEntry {
  const rawName = header.name;
  const shown = `Cannot apply layer: entry ${JSON.stringify(rawName)}`;
  let type = header.type ? entryTypes[header.type] : undefined;
  if (!type) throw new InvalidArgumentError(`${shown} has an unsupported type (${header.type ?? 'unknown type flag'})`);
  // Pre-POSIX archives mark directories by a trailing slash on a regular-file entry.
  if (type === 'file' && rawName.endsWith('/')) type = 'directory';

  const pax = new Map<string, Buffer>();
  if (rawPax) for (const [k, v] of rawPax) pax.set(k, v);
  else if (header.pax) for (const [k, v] of Object.entries(header.pax)) pax.set(k, Buffer.from(v));

  const id = (key: 'uid' | 'gid', fallback: number | undefined): number => {
    const text = pax.get(key)?.toString();
    const value = text !== undefined ? Number(text) : fallback ?? 0;
    if (!Number.isInteger(value) || value < 0 || value > maxId) throw new InvalidArgumentError(`${shown} has an invalid ${key} ${text ?? value}`);
    return value;
  };
  const time = (key: 'mtime' | 'atime'): number | undefined => {
    const text = pax.get(key)?.toString();
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`${shown} has an invalid ${key} ${JSON.stringify(text)}`);
    return value;
  };
  const mtime = boundTime(time('mtime') ?? (header.mtime ? header.mtime.getTime() / 1000 : 0));
  const atime = Math.max(boundTime(time('atime') ?? mtime), mtime);

  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (key.startsWith(paxXattrPrefix) && key.length > paxXattrPrefix.length) xattrs.set(key.slice(paxXattrPrefix.length), value);
  }

  return {
    rawName,
    type,
    mode: (header.mode ?? 0) & 0o7777,
    uid: id('uid', header.uid),
    gid: id('gid', header.gid),
    mtime,
    atime,
    size: header.size ?? 0,
    linkname: header.linkname ?? '',
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
    xattrs,
  };
}
