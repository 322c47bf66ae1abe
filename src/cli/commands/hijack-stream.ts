/**
 * Streams a hijacked attach/exec connection to the local terminal, as docker's
 * hijackedIOStreamer: output (raw with a TTY, demultiplexed without), stdin copied in and
 * half-closed at EOF, the local terminal in raw mode with a TTY, and the detach key sequence
 * (ctrl-p,ctrl-q unless overridden) recognised on the client side.
 */
import { Writable } from 'node:stream';
import { copyStream, demuxStream, type HijackedConnection } from '../../api/client/index.js';
import type { CliContext, InputStream } from '../context.js';

const asciiCtrl = ['@', ...'abcdefghijklmnopqrstuvwxyz', '[', '\\', ']', '^', '_'];

/** term.ToBytes: `ctrl-p,ctrl-q` → [16, 17]; single characters stand for themselves. */
export function parseDetachKeys(keys: string): number[] {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(key);
    const i = m ? asciiCtrl.indexOf(m[1]!.toLowerCase()) : -1;
    if (i < 0) throw new Error(`Unknown character: '${key}'`);
    codes.push(i);
  }
  return codes;
}

export const defaultDetachKeys = 'ctrl-p,ctrl-q';

/** Holds back input that may be the start of the detach sequence (term.NewEscapeProxy). */
export class EscapeProxy {
  private matched = 0;

  constructor(private readonly keys: readonly number[]) {}

  /** Returns the bytes to forward and whether the full sequence was typed. */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // Not the sequence after all: release what was held back.
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = 0;
      if (b === this.keys[0]) {
        this.matched = 1;
        if (this.keys.length === 1) return { forward: Buffer.from(out), detach: true };
      } else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export interface StreamSession {
  /** Resolves when the output ended ('eof') or the user typed the detach keys ('detached'). */
  readonly done: Promise<'eof' | 'detached'>;
  /** Stops streaming now (closes the connection, restores the terminal). */
  cancel(): void;
  /** Waits up to `ms` for the output to end, then cancels. */
  settle(ms: number): Promise<void>;
}

export interface StreamOptions {
  readonly conn: HijackedConnection;
  readonly tty: boolean;
  /** The input to send, or null when stdin is not attached. */
  readonly stdin: InputStream | null;
  readonly stdout: Writable | null;
  readonly stderr: Writable | null;
  readonly detachKeys?: string;
}

/** Starts streaming; see StreamSession. */
export function streamHijacked(ctx: CliContext, opts: StreamOptions): StreamSession {
  const { conn, tty, stdin } = opts;
  let keys: number[];
  try {
    keys = parseDetachKeys(opts.detachKeys || defaultDetachKeys);
  } catch (err) {
    ctx.stderr.write(`invalid detach escape keys, using default: ${(err as Error).message}\n`);
    keys = parseDetachKeys(defaultDetachKeys);
  }
  let restored = false;
  let raw = false;
  const setRaw = (on: boolean) => {
    if (ctx.setRawTerminal) ctx.setRawTerminal(on);
    else stdin?.setRawMode?.(on);
  };
  const restore = () => {
    if (restored) return;
    restored = true;
    if (raw) setRaw(false);
  };
  if (stdin && tty && stdin.isTTY && (ctx.setRawTerminal || stdin.setRawMode)) {
    setRaw(true);
    raw = true;
  }

  let finish!: (r: 'eof' | 'detached') => void;
  const done = new Promise<'eof' | 'detached'>((r) => (finish = r));
  let settled = false;
  const end = (r: 'eof' | 'detached') => {
    if (settled) return;
    settled = true;
    stopInput();
    restore();
    finish(r);
  };

  // Output.
  const sink = opts.stdout ?? devNull();
  const output = tty ? copyStream(conn.socket, sink) : demuxStream(conn.socket, sink, opts.stderr ?? devNull());
  output.then(
    () => end('eof'),
    (err: Error) => {
      if (!settled) ctx.stderr.write(`${err.message}\n`);
      end('eof');
    },
  );

  // Input.
  const proxy = new EscapeProxy(tty ? keys : []);
  const onData = (chunk: Buffer | string) => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const { forward, detach } = proxy.feed(buf);
    if (forward.length > 0 && !conn.socket.destroyed) conn.socket.write(forward);
    if (detach) {
      conn.close();
      end('detached');
    }
  };
  const onEnd = () => {
    stopInput();
    conn.closeWrite();
  };
  let inputOn = false;
  const stopInput = () => {
    if (!inputOn || !stdin) return;
    inputOn = false;
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.off('error', onEnd);
    stdin.pause();
  };
  if (!stdin) {
    // Nothing to send: docker half-closes at once.
    conn.closeWrite();
  } else {
    inputOn = true;
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
    stdin.resume();
  }

  return {
    done,
    cancel: () => {
      conn.close();
      end('eof');
    },
    settle: async (ms: number) => {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((r) => (t = setTimeout(r, ms)))]);
      if (t) clearTimeout(t);
      if (!settled) {
        conn.close();
        end('eof');
      }
    },
  };
}

function devNull(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}

/**
 * Keeps the remote TTY the size of the local one (docker's MonitorTtySize): once now (retrying
 * a few times while the process starts), then on every resize of the local terminal.
 */
export function monitorTtySize(ctx: CliContext, resize: (h: number, w: number) => Promise<void>): () => void {
  const size = () => ({ h: ctx.stdout.rows ?? 0, w: ctx.stdout.columns ?? 0 });
  const once = async () => {
    const { h, w } = size();
    if (h === 0 && w === 0) return;
    await resize(h, w);
  };
  void (async () => {
    for (let i = 0; i < 10; i++) {
      try {
        await once();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 10 * (i + 1)));
      }
    }
    ctx.stderr.write('failed to resize tty, using default size\n');
  })();
  return ctx.onResize(() => {
    once().catch(() => undefined);
  });
}

/** Signals docker forwards to the container (`--sig-proxy`). */
const proxied = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Forwards signals to the container; returns the function that stops forwarding. */
export function proxySignals(ctx: CliContext, kill: (signal: string) => Promise<void>): () => void {
  const offs = proxied.map((sig) =>
    ctx.onSignal(sig, () => {
      kill(sig.slice(3)).catch((err: Error) => {
        if (ctx.debug) ctx.stderr.write(`Error sending signal: ${err.message}\n`);
      });
    }),
  );
  return () => offs.forEach((o) => o());
}
