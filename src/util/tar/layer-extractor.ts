/**
 * Writes tar entries, one at a time and in archive order, into a root directory without ever
 * following a symlink inside it. Used by applyLayer, which owns the stream plumbing.
 *
 * Invariants:
 * - `knownDirs` holds names verified (by lstat, or by creating them) to be real directories.
 *   Only this extraction writes under the root, so the cache stays true as long as every
 *   removal goes through `remove`, which forgets the removed subtree. A parent not in the cache
 *   is walked component by component with lstat; a symlink on the way is refused.
 * - Final components are created with O_EXCL-style calls (open 'wx', mkdir, symlink, link), which
 *   never follow a symlink; on EEXIST the existing node is inspected and replaced.
 * - `unpacked` holds every name this layer created or wrote into (every ancestor of such a
 *   name too): OCI whiteouts in the same layer never delete them, they only hide what the lower
 *   layers have below them.
 * - `freshDirs` holds directories this extraction created empty (and the root, if it started
 *   empty): everything inside them is in `unpacked`, so a name there that is not in `unpacked`
 *   does not exist. Small new files in fresh directories are finished concurrently (open, write,
 *   chown, chmod, utimes, close on the thread pool) while later entries are read; such a task
 *   touches only its own new name. Given fsOps.createFiles, they are gathered into batches and
 *   each batch is one task. Every other kind of step (replacing, removing, whiteouts,
 *   hardlinks, walking an unknown parent) first waits for all tasks (`settle`), so it sees the
 *   tree exactly as the archive order defines it.
 */
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, type FileHandle } from 'node:fs/promises';
import { createFileFlags, createNewFile, lstatOrNull } from './layer-file-io.js';
import { NewFileBatch } from './new-file-batch.js';
import { BerthError, InternalError, InvalidArgumentError, NotImplementedError, errnoCode, errorMessage } from '../errors.js';
import { baseName, cleanEntryName, joinName, maxNameBytes, opaqueMarker, parentName, whiteoutMetaPrefix, whiteoutPrefix } from './entry-name.js';
import { fileTypeBits, isOverlayPrivateXattr, type LayerFsOps } from './fs-ops.js';
import type { LayerEntry, LayerEntryType, LayerExtractorOptions } from './layer-entry.js';

const opaqueXattr = 'trusted.overlay.opaque';
/** Files up to this size may be finished by a concurrent task (their data is held in memory). */
const maxTaskFileSize = 128 * 1024;
/** Concurrent file tasks: enough to keep the thread pool busy, bounding held data to 8 MiB. */
const maxTasks = 64;
/**
 * Batches in flight with fsOps.createFiles: each occupies a threadpool thread, and decompression
 * needs one too; two keep the kernel busy creating files on a small machine.
 */
const maxBatchTasks = 2;
const context = 'Cannot apply layer: entry';

export class LayerExtractor {
  private readonly knownDirs = new Set<string>(['']);
  private readonly unpacked = new Set<string>();
  /** Overlay whiteout devices made by this layer (a directory replacing one becomes opaque). */
  private readonly whiteouts = new Set<string>();
  /** Directory times, set after all entries so later writes inside do not change them. */
  private readonly dirTimes = new Map<string, { atime: number; mtime: number }>();
  private readonly freshDirs = new Set<string>();
  /** File tasks in flight; they never reject (the first failure is kept in `failure`). */
  private readonly tasks = new Set<Promise<void>>();
  private failure: Error | undefined;
  /** Small new files not yet handed to fsOps.createFiles (when it is given). */
  private batch = new NewFileBatch();

  private constructor(
    private readonly root: string,
    private readonly options: LayerExtractorOptions,
  ) {}

  static async create(root: string, options: LayerExtractorOptions): Promise<LayerExtractor> {
    const extractor = new LayerExtractor(root, options);
    if ((await readdir(root)).length === 0) extractor.freshDirs.add('');
    return extractor;
  }

  /**
   * Applies one entry. `data` is the content stream of a regular file (null for other types);
   * returns whether it was read to the end (if not, the caller drains it). Throws
   * InvalidArgumentError for hostile or unusable entries.
   */
  async apply(entry: LayerEntry, data: AsyncIterable<Buffer> | null): Promise<boolean> {
    if (this.failure) throw this.failure;
    const name = cleanEntryName(entry.rawName, context);
    try {
      return await this.applyNamed(name, entry, data);
    } catch (err) {
      throw wrapFsError(err, entry.rawName);
    }
  }

  /**
   * Waits until no file task is running; throws the first task failure. Call before giving up on
   * a failed extraction too (ignoring what it throws), so nothing writes under the root after.
   */
  async settle(): Promise<void> {
    if (this.batch.count > 0) await this.sendBatch();
    while (this.tasks.size > 0) await Promise.all(this.tasks);
    if (this.failure) throw this.failure;
  }

  /** Waits for the file tasks and sets the deferred directory times. Call once, after the last entry. */
  async finish(): Promise<void> {
    await this.settle();
    for (const [name, t] of this.dirTimes) {
      try {
        await lutimes(this.hostPath(name), t.atime, t.mtime);
      } catch (err) {
        throw wrapFsError(err, name);
      }
    }
    this.dirTimes.clear();
  }

  private async applyNamed(name: string, entry: LayerEntry, data: AsyncIterable<Buffer> | null): Promise<boolean> {
    const base = baseName(name);
    const parent = parentName(name);
    // A new name in a fresh directory cannot meet a running task; anything else waits for them.
    const fresh = this.freshDirs.has(parent) && !this.unpacked.has(name) && !this.whiteouts.has(name);
    if (!fresh || entry.type === 'hardlink' || base.startsWith(whiteoutPrefix)) await this.settle();
    // AUFS metadata (.wh..wh.plnk, .wh..wh.aufs …) carries nothing for an OCI layer.
    if (name.startsWith(whiteoutMetaPrefix) && name !== opaqueMarker) return false;
    if (base === opaqueMarker) {
      await this.applyOpaque(parentName(name), entry);
      return false;
    }
    if (base.startsWith(whiteoutMetaPrefix)) return false;
    if (base.startsWith(whiteoutPrefix)) {
      await this.applyWhiteout(parentName(name), base.slice(whiteoutPrefix.length), entry);
      return false;
    }

    if (name === '') {
      // Docker (overlay2) leaves the root's own metadata alone: a rootfs tarball made by a
      // user must not make the container's "/" theirs.
      if (entry.type === 'directory') return false;
      throw new InvalidArgumentError(`${context} ${JSON.stringify(entry.rawName)} would replace the root with a ${entry.type}`);
    }

    await this.ensureDir(parent, entry.rawName, true);
    switch (entry.type) {
      case 'directory':
        await this.writeDirectory(name, entry);
        return false;
      case 'file':
        if (fresh && entry.size <= maxTaskFileSize && entry.xattrs.size === 0) await this.startNewFile(name, entry, data);
        else await this.writeFile(name, entry, data);
        return true;
      case 'symlink':
        await this.writeSymlink(name, entry);
        return false;
      case 'hardlink':
        await this.writeHardlink(name, entry);
        return false;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        await this.writeNode(name, entry);
        return false;
    }
  }

  private hostPath(name: string): string {
    return name === '' ? this.root : this.root + '/' + name;
  }

  /**
   * Makes sure `dir` is a real directory inside the root, walking from the top with lstat.
   * Missing components are created (0755, root-owned) when `create` is set; otherwise returns
   * false when something is missing. A symlink or non-directory on the way is refused.
   */
  private async ensureDir(dir: string, rawName: string, create: boolean): Promise<boolean> {
    if (this.knownDirs.has(dir)) return true;
    let current = '';
    let missing = false;
    for (const part of dir.split('/')) {
      current = joinName(current, part);
      if (this.knownDirs.has(current)) continue;
      const host = this.hostPath(current);
      if (!missing) {
        const st = await lstatOrNull(host);
        if (st?.isDirectory()) {
          this.knownDirs.add(current);
          continue;
        }
        if (st?.isSymbolicLink()) {
          throw new InvalidArgumentError(`${context} ${JSON.stringify(rawName)} is below the symbolic link "${current}"`);
        }
        if (st) throw new InvalidArgumentError(`${context} ${JSON.stringify(rawName)} is below "${current}", which is not a directory`);
        missing = true;
      }
      if (!create) return false;
      await mkdir(host, 0o755);
      await lchown(host, 0, 0);
      await chmod(host, 0o755);
      this.knownDirs.add(current);
      this.freshDirs.add(current);
      this.markUnpacked(current);
    }
    return true;
  }

  /** Records `name` as this layer's, with its ancestors (amortized: stops at a known one). */
  private markUnpacked(name: string): void {
    this.unpacked.add(name);
    for (let dir = parentName(name); dir !== '' && !this.unpacked.has(dir); dir = parentName(dir)) this.unpacked.add(dir);
  }

  /** Removes whatever is at `name` (recursively) and forgets everything cached below it. */
  private async remove(name: string, isDir: boolean): Promise<void> {
    await rm(this.hostPath(name), { recursive: isDir, force: true });
    this.unpacked.delete(name);
    this.whiteouts.delete(name);
    this.dirTimes.delete(name);
    if (!isDir) return;
    this.knownDirs.delete(name);
    this.freshDirs.delete(name);
    const prefix = name + '/';
    for (const set of [this.knownDirs, this.freshDirs, this.unpacked, this.whiteouts]) {
      for (const n of set) if (n.startsWith(prefix)) set.delete(n);
    }
    for (const n of this.dirTimes.keys()) if (n.startsWith(prefix)) this.dirTimes.delete(n);
  }

  /**
   * Runs `create`; if the name exists, replaces it (a directory over a directory is kept and
   * merged) and runs `create` again. Returns false when an existing directory was kept.
   */
  private async createReplacing(name: string, type: LayerEntryType, create: () => Promise<void>): Promise<boolean> {
    try {
      await create();
      return true;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    const st = await lstat(this.hostPath(name));
    if (type === 'directory' && st.isDirectory()) return false;
    await this.remove(name, st.isDirectory());
    await create();
    return true;
  }

  private async writeDirectory(name: string, entry: LayerEntry): Promise<void> {
    const host = this.hostPath(name);
    const wasWhiteout = this.whiteouts.has(name);
    // Created (possibly after removing something): empty, so fresh. Kept: merged, not fresh.
    if (!this.knownDirs.has(name) && (await this.createReplacing(name, 'directory', () => mkdir(host, 0o700)))) this.freshDirs.add(name);
    this.knownDirs.add(name);
    this.markUnpacked(name);
    await lchown(host, entry.uid, entry.gid);
    await this.setXattrs(host, entry);
    // A directory that replaces a whiteout made by this same layer must hide the lower one.
    if (wasWhiteout) await this.markOpaque(name, entry.rawName);
    await chmod(host, entry.mode);
    this.dirTimes.set(name, { atime: entry.atime, mtime: entry.mtime });
  }

  private async writeFile(name: string, entry: LayerEntry, data: AsyncIterable<Buffer> | null): Promise<void> {
    const host = this.hostPath(name);
    let handle: FileHandle | undefined;
    await this.createReplacing(name, 'file', async () => {
      handle = await open(host, createFileFlags, 0o600);
    });
    const file = handle!;
    try {
      if (data) {
        for await (const chunk of data) {
          let offset = 0;
          while (offset < chunk.length) offset += (await file.write(chunk, offset)).bytesWritten;
        }
      }
      // chown clears setuid/setgid and security.capability: chown, then xattrs, then chmod.
      await file.chown(entry.uid, entry.gid);
      await this.setXattrs(host, entry);
      await file.chmod(entry.mode);
      await file.utimes(entry.atime, entry.mtime);
    } finally {
      await file.close();
    }
    this.markUnpacked(name);
  }

  /**
   * A small file whose name does not exist yet: reads its data, then leaves creating and
   * finishing it to a task (at most `maxTasks` at a time).
   */
  private async startNewFile(name: string, entry: LayerEntry, data: AsyncIterable<Buffer> | null): Promise<void> {
    const chunks: Buffer[] = [];
    if (data) for await (const chunk of data) chunks.push(chunk);
    this.markUnpacked(name);
    if (this.options.fsOps?.createFiles) {
      this.batch.add(this.hostPath(name), entry, chunks);
      if (this.batch.full) await this.sendBatch();
      return;
    }
    while (this.tasks.size >= maxTasks) await Promise.race(this.tasks);
    this.track(createNewFile(this.hostPath(name), chunks, entry), () => entry.rawName);
  }

  /** Hands the gathered small files to fsOps.createFiles as one task (at most `maxBatchTasks` at a time). */
  private async sendBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = new NewFileBatch();
    while (this.tasks.size >= maxBatchTasks) await Promise.race(this.tasks);
    this.track(this.options.fsOps!.createFiles!(...batch.encode()), (err) => batch.rawNameOf(err) ?? '(a batch of new files)');
  }

  /** Runs `work` as a task; its failure is kept (named after `rawNameOf`) for `settle` and `apply` to throw. */
  private track(work: Promise<void>, rawNameOf: (err: unknown) => string): void {
    const task: Promise<void> = work
      .catch((err: unknown) => {
        this.failure ??= wrapFsError(err, rawNameOf(err));
      })
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }

  private async writeSymlink(name: string, entry: LayerEntry): Promise<void> {
    const target = entry.linkname;
    if (target === '') throw new InvalidArgumentError(`${context} ${JSON.stringify(entry.rawName)} is a symbolic link with an empty target`);
    if (target.includes('\0')) throw new InvalidArgumentError(`${context} ${JSON.stringify(entry.rawName)} has a NUL byte in its link target`);
    if (Buffer.byteLength(target) > maxNameBytes) {
      throw new InvalidArgumentError(`${context} ${JSON.stringify(entry.rawName)} has a link target longer than ${maxNameBytes} bytes`);
    }
    const host = this.hostPath(name);
    // The link text is stored as it is and never resolved: absolute targets are normal in images.
    await this.createReplacing(name, 'symlink', () => symlink(target, host));
    await lchown(host, entry.uid, entry.gid);
    await this.setXattrs(host, entry);
    await lutimes(host, entry.atime, entry.mtime);
    this.markUnpacked(name);
  }

  private async writeHardlink(name: string, entry: LayerEntry): Promise<void> {
    const shown = `${JSON.stringify(entry.rawName)} -> ${JSON.stringify(entry.linkname)}`;
    // Hardlink targets are names in the same archive: root-relative, cleaned like entry names.
    const targetName = cleanEntryName(entry.linkname, `Cannot apply layer: hardlink ${JSON.stringify(entry.rawName)} target`);
    if (targetName === '') throw new InvalidArgumentError(`Cannot apply layer: hardlink ${shown} points at the root`);
    if (!(await this.ensureDirForLink(parentName(targetName), shown))) {
      throw new InvalidArgumentError(`Cannot apply layer: hardlink ${shown}: the target does not exist`);
    }
    const targetHost = this.hostPath(targetName);
    const target = await lstatOrNull(targetHost);
    if (!target) throw new InvalidArgumentError(`Cannot apply layer: hardlink ${shown}: the target does not exist`);
    if (target.isDirectory()) throw new InvalidArgumentError(`Cannot apply layer: hardlink ${shown}: the target is a directory`);
    const host = this.hostPath(name);
    try {
      await link(targetHost, host);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      const st = await lstat(host);
      if (st.ino !== target.ino || st.dev !== target.dev) {
        await this.remove(name, st.isDirectory());
        if (!(await lstatOrNull(targetHost))) {
          throw new InvalidArgumentError(`Cannot apply layer: hardlink ${shown}: the target was removed by replacing the link's path`);
        }
        await link(targetHost, host);
      }
    }
    // As Docker does, the header's metadata applies to the shared inode (unless it is a symlink).
    await lchown(host, entry.uid, entry.gid);
    await this.setXattrs(host, entry);
    if (!target.isSymbolicLink()) await chmod(host, entry.mode);
    await lutimes(host, entry.atime, entry.mtime);
    this.markUnpacked(name);
  }

  /** ensureDir for a hardlink target's parent, with the message naming the link. */
  private async ensureDirForLink(dir: string, shown: string): Promise<boolean> {
    try {
      return await this.ensureDir(dir, shown, false);
    } catch (err) {
      if (err instanceof InvalidArgumentError) {
        throw new InvalidArgumentError(`Cannot apply layer: hardlink ${shown}: the target is not reachable without following a symbolic link or a non-directory`, { cause: err });
      }
      throw err;
    }
  }

  private async writeNode(name: string, entry: LayerEntry): Promise<void> {
    const fsOps = this.requireMknod(entry);
    const host = this.hostPath(name);
    const existing = await lstatOrNull(host);
    if (existing) await this.remove(name, existing.isDirectory());
    const typeBits = entry.type === 'fifo' ? fileTypeBits.S_IFIFO : entry.type === 'block-device' ? fileTypeBits.S_IFBLK : fileTypeBits.S_IFCHR;
    const isFifo = entry.type === 'fifo';
    await fsOps.mknod(host, typeBits | (entry.mode & 0o777), isFifo ? 0 : entry.devmajor, isFifo ? 0 : entry.devminor);
    await lchown(host, entry.uid, entry.gid);
    await this.setXattrs(host, entry);
    await chmod(host, entry.mode);
    await lutimes(host, entry.atime, entry.mtime);
    this.markUnpacked(name);
  }

  private requireMknod(entry: LayerEntry): LayerFsOps {
    if (!this.options.fsOps) {
      throw new NotImplementedError(`${context} ${JSON.stringify(entry.rawName)} needs mknod (${entry.type}), which this extractor was not given`);
    }
    return this.options.fsOps;
  }

  /** `.wh.<target>` inside `dir`: hides `<target>` of the lower layers. */
  private async applyWhiteout(dir: string, target: string, entry: LayerEntry): Promise<void> {
    if (target === '' || target === '.' || target === '..') {
      throw new InvalidArgumentError(`${context} ${JSON.stringify(entry.rawName)} is not a valid whiteout`);
    }
    const name = joinName(dir, target);
    const overlay = this.options.whiteoutFormat === 'overlay';
    if (!(await this.ensureDir(dir, entry.rawName, overlay))) return;
    const host = this.hostPath(name);
    const existing = await lstatOrNull(host);
    if (existing && (this.unpacked.has(name) || this.whiteouts.has(name))) {
      // OCI: a whiteout never hides what its own layer adds; a directory this layer merged over
      // a lower one still loses the lower contents.
      if (existing.isDirectory()) await this.makeOpaque(name, entry.rawName);
      return;
    }
    if (!overlay) {
      if (existing) await this.remove(name, existing.isDirectory());
      return;
    }
    // overlay: a 0:0 character device named like the deleted file.
    const fsOps = this.requireMknod(entry);
    if (existing) await this.remove(name, existing.isDirectory());
    await fsOps.mknod(host, fileTypeBits.S_IFCHR, 0, 0);
    await lchown(host, entry.uid, entry.gid);
    this.whiteouts.add(name);
  }

  /** `.wh..wh..opq` inside `dir`: the lower layers' contents of `dir` are hidden. */
  private async applyOpaque(dir: string, entry: LayerEntry): Promise<void> {
    const overlay = this.options.whiteoutFormat === 'overlay';
    if (!(await this.ensureDir(dir, entry.rawName, overlay))) return;
    await this.makeOpaque(dir, entry.rawName);
  }

  private async makeOpaque(dir: string, rawName: string): Promise<void> {
    if (this.options.whiteoutFormat === 'overlay') await this.markOpaque(dir, rawName);
    else await this.emptyLower(dir);
  }

  private async markOpaque(dir: string, rawName: string): Promise<void> {
    if (!this.options.fsOps) {
      throw new NotImplementedError(`${context} ${JSON.stringify(rawName)} needs lsetxattr (opaque directory), which this extractor was not given`);
    }
    await this.options.fsOps.lsetxattr(this.hostPath(dir), opaqueXattr, Buffer.from('y'));
  }

  /** 'apply' format: removes everything below `dir` that this layer did not create. */
  private async emptyLower(dir: string): Promise<void> {
    const children = await readdir(this.hostPath(dir), { withFileTypes: true });
    for (const child of children) {
      const name = joinName(dir, child.name);
      if (!this.unpacked.has(name)) await this.remove(name, child.isDirectory());
      else if (child.isDirectory()) await this.emptyLower(name);
    }
  }

  private async setXattrs(host: string, entry: LayerEntry): Promise<void> {
    if (entry.xattrs.size === 0 || this.options.ignoreXattrs) return;
    const fsOps = this.options.fsOps;
    if (!fsOps) {
      throw new NotImplementedError(`${context} ${JSON.stringify(entry.rawName)} has xattrs and this extractor was given no lsetxattr (set ignoreXattrs to drop them)`);
    }
    for (const [name, value] of entry.xattrs) {
      if (isOverlayPrivateXattr(name)) continue;
      await fsOps.lsetxattr(host, name, value);
    }
  }
}

/** Keeps Berth errors; names the entry on system errors (path problems are the archive's fault). */
function wrapFsError(err: unknown, rawName: string): Error {
  if (err instanceof BerthError) return err;
  const code = errnoCode(err);
  const message = `${context} ${JSON.stringify(rawName)}: ${errorMessage(err)}`;
  if (code === 'ENAMETOOLONG' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR') {
    return new InvalidArgumentError(message, { cause: err });
  }
  return new InternalError(message, { cause: err });
}
