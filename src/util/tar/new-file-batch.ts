/**
 * Small new files of a layer gathered for one LayerFsOps.createFiles call, so that creating
 * them costs one threadpool job per batch instead of six fs calls per file.
 */
import type { LayerEntry } from './layer-entry.js';

/** A batch is sent once it holds this many files … */
export const maxBatchFiles = 256;
/** … or this many bytes of data. */
export const maxBatchBytes = 1024 * 1024;

export class NewFileBatch {
  private readonly paths: string[] = [];
  private readonly rawNames: string[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly meta: number[] = [];
  private bytes = 0;

  get count(): number {
    return this.paths.length;
  }

  get full(): boolean {
    return this.paths.length >= maxBatchFiles || this.bytes >= maxBatchBytes;
  }

  add(hostPath: string, entry: LayerEntry, data: readonly Buffer[]): void {
    let length = 0;
    for (const chunk of data) {
      this.chunks.push(chunk);
      length += chunk.length;
    }
    this.paths.push(hostPath);
    this.rawNames.push(entry.rawName);
    this.meta.push(length, entry.uid, entry.gid, entry.mode, entry.atime, entry.mtime);
    this.bytes += length;
  }

  /** The createFiles arguments: NUL-terminated paths, contents back to back, six numbers per file. */
  encode(): [names: Buffer, data: Buffer, meta: Float64Array] {
    return [Buffer.from(this.paths.join('\0') + '\0'), Buffer.concat(this.chunks, this.bytes), Float64Array.from(this.meta)];
  }

  /** The archive name of the file a createFiles failure names by its `index`, if it names one. */
  rawNameOf(err: unknown): string | undefined {
    const index = (err as { index?: unknown } | null)?.index;
    return typeof index === 'number' ? this.rawNames[index] : undefined;
  }
}
