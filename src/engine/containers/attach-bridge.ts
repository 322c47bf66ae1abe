/**
 * Bridges a conmon attach socket to a client. conmon sends each chunk of output as one packet
 * whose first byte names the pipe (2 stdout, 3 stderr); bytes written to the socket go to the
 * container's stdin, and a half-close closes it (unless conmon was told to leave it open).
 *
 * conmon drops a reader whose socket buffer fills, so output is always read at once and
 * buffered on the client side instead of pausing the socket.
 */
import type { Duplex } from 'node:stream';

export interface OutputSink {
  write(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** No more output will come (the process ended or the session was closed). */
  end(): void;
}

export interface AttachedStreams {
  /** Writes to the container's stdin; null when stdin was not requested. */
  readonly stdin: { write(data: Buffer): void; end(): void } | null;
  /** Resolves when output ends. */
  readonly done: Promise<void>;
  /** Drops the connection to conmon (the container keeps running). */
  close(): void;
}

const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;

export function bridgeAttachSocket(
  sock: Duplex,
  sink: OutputSink,
  want: { stdin: boolean; stdout: boolean; stderr: boolean },
): AttachedStreams {
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    sink.end();
  };
  const done = new Promise<void>((resolve) => {
    sock.on('data', (pkt: Buffer) => {
      if (pkt.length < 1) return;
      const pipe = pkt[0];
      const data = pkt.subarray(1);
      if (pipe === STDOUT_PIPE && want.stdout) sink.write('stdout', data);
      else if (pipe === STDERR_PIPE && want.stderr) sink.write('stderr', data);
    });
    sock.on('end', () => {
      finish();
      resolve();
    });
    sock.on('close', () => {
      finish();
      resolve();
    });
    sock.on('error', () => {
      finish();
      resolve();
    });
  });
  let stdinClosed = false;
  return {
    stdin: want.stdin
      ? {
          write: (data: Buffer) => {
            if (!stdinClosed && !sock.destroyed) sock.write(data);
          },
          end: () => {
            if (stdinClosed) return;
            stdinClosed = true;
            if (!sock.destroyed) sock.end();
          },
        }
      : null,
    done,
    close: () => {
      sock.destroy();
    },
  };
}

/**
 * Watches client input for the detach sequence (default ctrl-p ctrl-q). Bytes of a partial match
 * are held back and released if the sequence breaks, as Docker's escape proxy does.
 */
export class DetachKeyScanner {
  private held: number[] = [];

  constructor(private readonly keys: readonly number[]) {}

  /** Returns the bytes to forward and whether the sequence completed. */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      out.push(...this.held);
      this.held = [];
      if (b === this.keys[0]) this.held.push(b);
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

/** Docker's detach-keys syntax: `ctrl-p,ctrl-q`, `a`, `ctrl-@`, `ctrl-[` … */
export function parseDetachKeys(spec: string): number[] {
  if (spec === '') return [];
  return spec.split(',').map((k) => {
    if (k.length === 1) return k.charCodeAt(0);
    const m = /^ctrl-([a-z@[\\\]^_])$/i.exec(k);
    if (!m) throw new Error(`Invalid escape keys (${spec}) provided`);
    const c = m[1]!.toLowerCase();
    if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
    return { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 }[c]!;
  });
}
