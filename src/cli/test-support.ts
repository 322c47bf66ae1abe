/**
 * Test doubles for commands: captured output streams, a scripted stdin, a fake client built
 * from the methods a test needs, and hijacked connections backed by in-memory streams.
 * (Used only by *.test.ts files.)
 */
import { Duplex, PassThrough } from 'node:stream';
import type { EngineClient, HijackedConnection } from '../api/client/index.js';
import type { CliContext, InputStream, OutputStream, SignalName } from './context.js';
import { main, type MainDeps } from './main.js';

export class Capture extends PassThrough implements OutputStream {
  private chunks: Buffer[] = [];
  isTTY?: boolean;
  columns?: number;
  rows?: number;

  constructor() {
    super();
    this.on('data', (c: Buffer) => this.chunks.push(c));
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function stdinOf(text: string | null): InputStream {
  const s = new PassThrough() as PassThrough & InputStream;
  if (text !== null) s.end(text);
  return s;
}

/** A fake hijacked connection: `output(...)` feeds the client, `input` collects what it sent. */
export class FakeConn implements HijackedConnection {
  readonly input: Buffer[] = [];
  inputEnded = false;
  closed = false;
  readonly socket: HijackedConnection['socket'];
  readonly contentType: string;

  constructor(tty: boolean) {
    this.contentType = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
    const duplex = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        this.input.push(chunk);
        cb();
      },
      final: (cb) => {
        this.inputEnded = true;
        cb();
      },
    });
    this.socket = duplex as unknown as HijackedConnection['socket'];
  }

  output(data: Buffer | string): void {
    (this.socket as unknown as Duplex).push(typeof data === 'string' ? Buffer.from(data) : data);
  }

  endOutput(): void {
    (this.socket as unknown as Duplex).push(null);
  }

  closeWrite(): void {
    (this.socket as unknown as Duplex).end();
  }

  close(): void {
    this.closed = true;
    (this.socket as unknown as Duplex).destroy();
  }

  get inputText(): string {
    return Buffer.concat(this.input).toString('utf8');
  }
}

/** A multiplexed-stream frame. */
export function frame(stream: number, text: string): Buffer {
  const data = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

export interface Harness {
  stdout: Capture;
  stderr: Capture;
  signals: Map<SignalName, Set<() => void>>;
  calls: Array<[string, ...unknown[]]>;
}

/**
 * Wraps `methods` as an EngineClient; every call is recorded in `calls`. Missing methods throw,
 * so a test states exactly what the command may use.
 */
export function fakeClient(methods: Record<string, (...args: never[]) => unknown>, calls: Array<[string, ...unknown[]]>): EngineClient {
  return new Proxy({ apiVersion: '1.45', defaultApiVersion: '1.45' } as Record<string, unknown>, {
    get(target, prop: string | symbol) {
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      if (prop in target) return target[prop];
      const m = methods[prop];
      if (!m) return () => Promise.reject(new Error(`unexpected client call: ${prop}`));
      return (...args: unknown[]) => {
        calls.push([prop, ...args]);
        return (m as (...a: unknown[]) => unknown)(...args);
      };
    },
  }) as unknown as EngineClient;
}

/** Runs the CLI with fakes; resolves with the exit code and captured output. */
export async function runCli(
  argv: string[],
  opts: {
    client?: Record<string, (...args: never[]) => unknown>;
    stdin?: InputStream;
    env?: NodeJS.ProcessEnv;
    files?: Record<string, string>;
    now?: number;
    tty?: { rows: number; columns: number };
    onStart?: (h: Harness) => void;
  } = {},
): Promise<{ code: number; stdout: string; stderr: string; calls: Array<[string, ...unknown[]]>; harness: Harness }> {
  const stdout = new Capture();
  const stderr = new Capture();
  if (opts.tty) {
    stdout.isTTY = true;
    stdout.rows = opts.tty.rows;
    stdout.columns = opts.tty.columns;
  }
  const calls: Array<[string, ...unknown[]]> = [];
  const signals = new Map<SignalName, Set<() => void>>();
  const harness: Harness = { stdout, stderr, signals, calls };
  const deps: MainDeps = {
    stdin: opts.stdin ?? stdinOf(''),
    stdout,
    stderr,
    env: opts.env ?? {},
    version: async () => '0.1.0-test',
    now: () => opts.now ?? 1_700_000_000_000,
    onSignal: (sig, h) => {
      if (!signals.has(sig)) signals.set(sig, new Set());
      signals.get(sig)!.add(h);
      return () => signals.get(sig)!.delete(h);
    },
    onResize: () => () => undefined,
    readFile: async (p) => {
      const f = opts.files?.[p];
      if (f === undefined) {
        const e = new Error(`ENOENT: no such file or directory, open '${p}'`) as NodeJS.ErrnoException;
        e.code = 'ENOENT';
        throw e;
      }
      return Buffer.from(f);
    },
    makeClient: async () => fakeClient(opts.client ?? {}, calls),
  };
  opts.onStart?.(harness);
  const code = await main(argv, deps);
  return { code, stdout: stdout.text, stderr: stderr.text, calls, harness };
}

export type { CliContext };
