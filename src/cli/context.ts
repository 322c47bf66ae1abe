/**
 * What a command runs with: its streams, environment, the API client (created on first use),
 * signals and terminal hooks. Tests build one with fake streams and a fake client.
 */
import type { Readable, Writable } from 'node:stream';
import type { EngineClient } from '../api/client/index.js';

export interface InputStream extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface OutputStream extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export type SignalName = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT' | 'SIGUSR1' | 'SIGUSR2' | 'SIGWINCH';

export interface CliContext {
  readonly stdin: InputStream;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
  readonly debug: boolean;
  /** The API client for the chosen host (created lazily). */
  client(): Promise<EngineClient>;
  /** Subscribes to a process signal; returns the unsubscribe function. */
  onSignal(sig: SignalName, handler: () => void): () => void;
  /** Subscribes to terminal size changes of stdout; returns the unsubscribe function. */
  onResize(handler: () => void): () => void;
  /** Berth's version (for `version`, `-v`). */
  version(): Promise<string>;
  /** Current time in milliseconds (tests pin it). */
  now(): number;
  /** Reads a local file (env files, label files, seccomp profiles); tests replace it. */
  readFile(path: string): Promise<Buffer>;
  /**
   * Puts the terminal on stdin in raw mode (as cfmakeraw: no echo, no signals, no output
   * processing) or restores it. Absent when stdin is not a terminal.
   */
  setRawTerminal?(raw: boolean): void;
}

/** Exit with `code`, after printing `message` (if any) to stderr, as docker's StatusError. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

/** Writes text to a stream and waits until it is flushed (or the stream is gone). */
export function writeOut(w: Writable, text: string | Buffer): Promise<void> {
  if (text.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const ok = w.write(text, () => resolve());
    if (ok) resolve();
  });
}
