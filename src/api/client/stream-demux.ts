/**
 * Docker's multiplexed stream (logs and attach without a TTY): frames of
 * `[stream, 0, 0, 0, size (uint32 big-endian)]` followed by `size` bytes, where stream is
 * 0 stdin (written as stdout), 1 stdout, 2 stderr, 3 a daemon error message.
 */
import type { Readable, Writable } from 'node:stream';

export type StreamKind = 0 | 1 | 2 | 3;

const headerLen = 8;

/** Splits a byte stream into frames; feed it chunks as they arrive. */
export class FrameDemuxer {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  constructor(private readonly onFrame: (stream: StreamKind, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    for (;;) {
      if (this.pendingLen < headerLen) return;
      const head = this.peek(headerLen);
      const kind = head[0]!;
      if (kind > 3) throw new Error(`Unrecognized input header: ${kind}`);
      const size = head.readUInt32BE(4);
      if (this.pendingLen < headerLen + size) return;
      const frame = this.take(headerLen + size);
      this.onFrame(kind as StreamKind, frame.subarray(headerLen));
    }
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get leftover(): number {
    return this.pendingLen;
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length >= n) return this.pending[0]!.subarray(0, n);
    const all = Buffer.concat(this.pending);
    this.pending = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    let first = this.pending[0]!;
    if (first.length < n) {
      first = Buffer.concat(this.pending);
      this.pending = [first];
    }
    const out = first.subarray(0, n);
    const rest = first.subarray(n);
    if (rest.length > 0) this.pending[0] = rest;
    else this.pending.shift();
    this.pendingLen -= n;
    return out;
  }
}

function writeTo(w: Writable, data: Buffer): Promise<void> | null {
  if (w.write(data)) return null;
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      w.off('error', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
    w.on('error', done);
  });
}

/**
 * Copies a multiplexed stream to stdout and stderr (stdcopy.StdCopy), honouring backpressure.
 * Rejects with the daemon's message when a stream-3 frame arrives.
 */
export async function demuxStream(src: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  let sysErr: string | null = null;
  const queue: Array<[StreamKind, Buffer]> = [];
  const demux = new FrameDemuxer((kind, data) => queue.push([kind, data]));
  for await (const chunk of src) {
    demux.push(chunk as Buffer);
    while (queue.length > 0) {
      const [kind, data] = queue.shift()!;
      if (kind === 3) {
        sysErr = data.toString('utf8');
        continue;
      }
      const wait = writeTo(kind === 2 ? stderr : stdout, data);
      if (wait) await wait;
    }
    if (sysErr !== null) break;
  }
  if (sysErr !== null) throw new Error(sysErr);
}

/** Copies a raw (TTY) stream to `out`, honouring backpressure. */
export async function copyStream(src: Readable, out: Writable): Promise<void> {
  for await (const chunk of src) {
    const wait = writeTo(out, chunk as Buffer);
    if (wait) await wait;
  }
}
