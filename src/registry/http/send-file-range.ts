/**
 * A blob body straight from its open file: bytes read sequentially in 1 MiB chunks into pooled
 * buffers and written to the response with backpressure. Measured against a file ReadStream piped
 * into the response (512 KiB chunks, a new buffer each), this halves the main thread's time per
 * 8 MiB GET: no stream machinery between file and socket, a third of the reads, and no garbage.
 */
import type { ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';
import { InternalError, UnavailableError } from '../../util/errors.js';
import { BufferPool } from './buffer-pool.js';

/** 1 MiB chunks: larger ones measured no faster, and 4 MiB slower (they overrun the socket buffer). */
const blobBuffers = new BufferPool(1024 * 1024, 32);

/** Resolves when `res` may take more bytes, or when it closed (the caller then sees `destroyed`). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Sends bytes `start`..`end` (inclusive) of `file` as the rest of `res` (its head written already)
 * and ends it. Rejects when the client went away (UnavailableError) or the file holds fewer bytes
 * than asked for (InternalError); the caller must then destroy the response, so it never completes
 * short. A buffer goes back to the pool only from its write's callback without error: until then
 * the socket may still be copying from it. The file stays open; the caller closes it.
 */
export async function sendFileRange(res: ServerResponse, file: FileHandle, start: number, end: number, pool: BufferPool = blobBuffers): Promise<void> {
  let pos = start;
  const stop = end + 1;
  let first = true;
  while (pos < stop) {
    if (res.destroyed) throw new UnavailableError('Cannot send blob: the client closed the connection');
    const buf = pool.take();
    const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, stop - pos), pos);
    if (bytesRead === 0) {
      pool.give(buf);
      throw new InternalError(`Cannot send blob: its file ended at byte ${pos}, before byte ${end}`);
    }
    pos += bytesRead;
    const chunk = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    const release = (err?: Error | null) => {
      if (!err) pool.give(buf);
    };
    // The head and the first chunk in one write (one packet for a small blob).
    if (first) res.cork();
    const more = res.write(chunk, release);
    if (first) {
      res.uncork();
      first = false;
    }
    if (!more && pos < stop) await drained(res);
  }
  if (res.destroyed) throw new UnavailableError('Cannot send blob: the client closed the connection');
  res.end();
}
