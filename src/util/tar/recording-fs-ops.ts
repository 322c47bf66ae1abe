/**
 * A recording double for LayerFsOps (and XattrReader over what it recorded): tests assert on
 * the calls without the native addon. Optionally forwards to a real implementation after
 * recording, so a test can also look at the result on disk.
 */
import type { LayerFsOps, XattrReader } from './fs-ops.js';

export type FsOpCall =
  | { readonly op: 'mknod'; readonly path: string; readonly mode: number; readonly major: number; readonly minor: number }
  | { readonly op: 'lsetxattr'; readonly path: string; readonly name: string; readonly value: Buffer }
  | { readonly op: 'createFiles'; readonly paths: readonly string[] };

export class RecordingFsOps implements LayerFsOps, XattrReader {
  readonly calls: FsOpCall[] = [];
  /** xattrs set so far, by path then name (what llistxattr/lgetxattr answer). */
  readonly xattrs = new Map<string, Map<string, Buffer>>();

  /** Present only when there is a createFiles to forward to (the extractor checks for it). */
  readonly createFiles?: (names: Buffer, data: Buffer, meta: Float64Array) => Promise<void>;

  constructor(private readonly forward?: Partial<LayerFsOps>) {
    const createFiles = forward?.createFiles;
    if (createFiles) {
      this.createFiles = async (names, data, meta) => {
        this.calls.push({ op: 'createFiles', paths: names.toString().split('\0').slice(0, -1) });
        await createFiles(names, data, meta);
      };
    }
  }

  async mknod(path: string, mode: number, major: number, minor: number): Promise<void> {
    this.calls.push({ op: 'mknod', path, mode, major, minor });
    await this.forward?.mknod?.(path, mode, major, minor);
  }

  async lsetxattr(path: string, name: string, value: Buffer): Promise<void> {
    this.calls.push({ op: 'lsetxattr', path, name, value: Buffer.from(value) });
    let byName = this.xattrs.get(path);
    if (!byName) this.xattrs.set(path, (byName = new Map()));
    byName.set(name, Buffer.from(value));
    await this.forward?.lsetxattr?.(path, name, value);
  }

  llistxattr(path: string): string[] {
    return [...(this.xattrs.get(path)?.keys() ?? [])];
  }

  lgetxattr(path: string, name: string): Buffer {
    const value = this.xattrs.get(path)?.get(name);
    if (!value) throw Object.assign(new Error(`ENODATA: no xattr ${name} on ${path}`), { code: 'ENODATA' });
    return value;
  }

  /** The recorded calls of one kind. */
  callsOf<K extends FsOpCall['op']>(op: K): Extract<FsOpCall, { op: K }>[] {
    return this.calls.filter((c): c is Extract<FsOpCall, { op: K }> => c.op === op);
  }
}
