/**
 * The JSON progress stream of pull and push, byte for byte as Docker's streamformatter writes it:
 * one JSON object per line ending in `\r\n`, keys in Go's field order, `progressDetail` on
 * per-layer updates (that is what makes the docker CLI give a layer its own line) and the bar
 * text in `progress`.
 *
 * The response starts with the first message. An error before it is an ordinary HTTP error (the
 * route throws); after it, the error is the last object of the stream, as Docker's
 * `output.Flushed()` logic does. A client that goes away aborts the operation.
 */
import type { ServerResponse } from 'node:http';
import type { ProgressOutput } from '../../engine/index.js';
import { errorMessage } from '../../util/errors.js';
import { progressBarText } from '../../util/progress-bar.js';
import type { RequestContext } from './context.js';

export class JsonProgressStream implements ProgressOutput {
  private res: ServerResponse | null = null;
  private readonly abort = new AbortController();

  constructor(private readonly ctx: RequestContext) {
    // The client hanging up mid-stream cancels the work, as Docker cancels on a failed write.
    // (The response's close, not the request's: that one fires once a bodiless POST is read.)
    const res = ctx.res;
    res?.on('close', () => {
      if (!res.writableFinished) this.abort.abort();
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get started(): boolean {
    return this.res !== null;
  }

  private write(obj: Record<string, unknown>): void {
    if (!this.res) this.res = this.ctx.stream('application/json');
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.write(JSON.stringify(obj) + '\r\n');
  }

  message(id: string, status: string): void {
    this.write(id ? { status, id } : { status });
  }

  update(id: string, action: string, current?: number, total?: number): void {
    const detail: Record<string, number> = {};
    if (current) detail.current = current;
    if (total) detail.total = total;
    const progress = progressBarText({ ...(current !== undefined ? { current } : {}), ...(total !== undefined ? { total } : {}) });
    this.write({ status: action, progressDetail: detail, ...(progress ? { progress } : {}), ...(id ? { id } : {}) });
  }

  aux(value: unknown): void {
    this.write({ progressDetail: {}, aux: value });
  }

  /** Ends the stream; before it started, an empty 200 JSON stream (nothing to report). */
  end(): void {
    if (!this.res) this.res = this.ctx.stream('application/json');
    this.res.end();
  }

  /** Reports `err`: rethrows it before the stream started (an HTTP error), else writes it last. */
  fail(err: unknown): void {
    if (!this.res) throw err;
    const message = errorMessage(err);
    this.write({ errorDetail: { message }, error: message });
    this.res.end();
  }
}

/**
 * X-Registry-Auth: base64url JSON of an AuthConfig, as the docker CLI sends it. Docker treats a
 * header it cannot decode as no credentials on pull (`strict` false); push refuses it.
 */
export function decodeRegistryAuth(header: string | string[] | undefined): unknown {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  // Node's base64 decoder reads both alphabets, padded or not.
  const text = Buffer.from(value, 'base64').toString('utf8');
  return JSON.parse(text) as unknown;
}
