/** File-system helpers of the layer extractor that hold no extraction state. */
import fs, { constants as fsConstants, type Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { errnoCode } from '../errors.js';
import type { LayerEntry } from './layer-entry.js';

/** Creates a new regular file, never through a symlink and never over an existing name. */
export const createFileFlags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;

/**
 * open(O_EXCL|O_NOFOLLOW), write, fchown, fchmod, futimes, close as one callback chain: a
 * fraction of the main-thread cost of six fs/promises calls and a FileHandle.
 */
export function createNewFile(path: string, chunks: readonly Buffer[], entry: LayerEntry): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(path, createFileFlags, 0o600, (openErr, fd) => {
      if (openErr) return reject(openErr);
      let failure: Error | null = null;
      const close = (): void => fs.close(fd, (closeErr) => (failure ?? closeErr ? reject(failure ?? closeErr) : resolve()));
      const step = (next: () => void) => (err: Error | null): void => {
        if (err) {
          failure = err;
          return close();
        }
        next();
      };
      const finish = (): void =>
        fs.fchown(fd, entry.uid, entry.gid, step(() => fs.fchmod(fd, entry.mode, step(() => fs.futimes(fd, entry.atime, entry.mtime, step(close))))));
      let index = 0;
      let offset = 0;
      const writeNext = (): void => {
        while (index < chunks.length && offset >= chunks[index]!.length) {
          index++;
          offset = 0;
        }
        if (index === chunks.length) return finish();
        fs.write(fd, chunks[index]!, offset, chunks[index]!.length - offset, null, (err, written) => {
          if (err) {
            failure = err;
            return close();
          }
          offset += written;
          writeNext();
        });
      };
      writeNext();
    });
  });
}

export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}
