/**
 * A blob download as a Readable that verifies while it streams. Bytes are hashed and counted as
 * they arrive; a body longer than the descriptor's size fails at the first extra byte, and the
 * stream ends ('end') only after the size and the digest matched — a mismatch, a truncation the
 * retries could not repair, or a refused resume fails the stream instead. Consumers must treat the
 * data as verified only on 'end' (write it to an ingest, commit on 'end').
 *
 * A broken connection (reset, premature close, a body idle for `idleTimeoutMs`, a 5xx) is resumed
 * with `Range: bytes=<received>-`: a 206 must continue exactly at that byte, a 200 (the server
 * ignored the range) has its first bytes skipped. At most `retries` failures in all, with a doubling
 * delay between attempts.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Digester } from '../../util/digest.js';
import { UnavailableError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { Descriptor } from '../descriptor.js';
import { RegistryError } from '../registry-errors.js';
import { RegistryConnectionError, isAbortError } from './connection-error.js';
import { parseContentRange } from './http-headers.js';
import type { HttpResponse } from './http-transport.js';
import { isRetryableStatus } from './response-errors.js';

export interface BlobSource {
  /** Requests the blob from `offset` (a Range request when > 0); resolves with a 200 or 206 answer. */
  open(offset: number, signal: AbortSignal): Promise<HttpResponse>;
}

export interface BlobReaderOptions {
  retries: number;
  retryDelayMs: number;
  idleTimeoutMs: number;
  logger: Logger;
  /** For messages: `docker.io/library/busybox`. */
  repository: string;
  signal?: AbortSignal;
  onProgress?: (bytesSoFar: number) => void;
}

/** A failure of one attempt that a resume may repair. */
class BrokenTransfer extends Error {
  override readonly name = 'BrokenTransfer';
}

/** Verification failures are final: the same bytes would come again. */
const verificationCodes = new Set(['DIGEST_INVALID', 'SIZE_INVALID', 'RANGE_INVALID']);

function isRetryable(err: unknown): boolean {
  if (err instanceof BrokenTransfer || err instanceof RegistryConnectionError) return true;
  return err instanceof RegistryError && !verificationCodes.has(err.code) && isRetryableStatus(err.status);
}

export class VerifyingBlobReader extends Readable {
  private received = 0;
  private readonly digester = new Digester();
  private failures = 0;
  private started = false;
  private current: HttpResponse | undefined;
  private resumeBody: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly desc: Descriptor,
    private readonly source: BlobSource,
    private readonly opts: BlobReaderOptions,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    const signal = opts.signal;
    if (signal) {
      const onAbort = () => this.destroy(signal.reason instanceof Error ? signal.reason : Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.once('close', () => signal.removeEventListener('abort', onAbort));
      }
    }
  }

  /** Bytes received and verified-so-far (counted, hashed) across all attempts. */
  get bytesReceived(): number {
    return this.received;
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      void this.run();
      return;
    }
    const resume = this.resumeBody;
    this.resumeBody = undefined;
    resume?.();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.abort.abort();
    this.current?.body.destroy();
    cb(err);
  }

  private what(): string {
    return `blob ${this.desc.digest} of ${this.opts.repository}`;
  }

  private async run(): Promise<void> {
    for (;;) {
      try {
        if (this.received < this.desc.size) await this.attempt();
        const actual = this.digester.digest();
        if (actual !== this.desc.digest) {
          throw new RegistryError('DIGEST_INVALID', `${this.what()} failed verification: the registry sent content with digest ${actual}`, { expected: this.desc.digest, actual }, 502);
        }
        this.push(null);
        return;
      } catch (err) {
        if (this.destroyed) return;
        if (isAbortError(err) || this.abort.signal.aborted) {
          this.destroy(err as Error);
          return;
        }
        if (!isRetryable(err) || this.failures >= this.opts.retries) {
          this.destroy(this.finalError(err));
          return;
        }
        this.failures++;
        const delay = Math.min(5000, this.opts.retryDelayMs * 2 ** (this.failures - 1));
        this.opts.logger.warn('blob download interrupted; resuming', { digest: this.desc.digest, received: this.received, size: this.desc.size, attempt: this.failures, error: (err as Error).message });
        try {
          await sleep(delay, undefined, { signal: this.abort.signal });
        } catch {
          return; // destroyed meanwhile
        }
      }
    }
  }

  private finalError(err: unknown): Error {
    if (!isRetryable(err)) return err as Error;
    const reason = (err as Error).message;
    const attempts = this.failures + 1;
    return new UnavailableError(`${this.what()}: download failed after ${attempts} attempt${attempts === 1 ? '' : 's'} (received ${this.received} of ${this.desc.size} bytes): ${reason}`, { cause: err });
  }

  private async attempt(): Promise<void> {
    const offset = this.received;
    const res = await this.source.open(offset, this.abort.signal);
    this.current = res;
    const size = this.desc.size;
    let skip = 0;
    const length = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
    if (res.status === 206) {
      const range = parseContentRange(res.headers['content-range']);
      if (!range || range.start !== offset || range.end !== size - 1 || (range.total !== undefined && range.total !== size)) {
        res.body.destroy();
        throw new RegistryError('RANGE_INVALID', `${this.what()}: the registry answered a request for bytes ${offset}- with Content-Range ${JSON.stringify(res.headers['content-range'] ?? '')}`, undefined, 502);
      }
      if (length !== undefined && length !== size - offset) {
        res.body.destroy();
        throw new RegistryError('SIZE_INVALID', `${this.what()}: the registry announced ${length} bytes for the range ${offset}-${size - 1}`, undefined, 502);
      }
    } else {
      if (length !== undefined && length !== size) {
        res.body.destroy();
        throw new RegistryError(
          'SIZE_INVALID',
          `${this.what()}: the registry announced ${length} bytes, the descriptor says ${size}`,
          { expected: size, announced: length },
          502,
        );
      }
      skip = offset; // a 200 to a range request: the server ignored the range
      if (offset > 0) this.opts.logger.debug('registry ignored the Range header; skipping bytes already received', { digest: this.desc.digest, skip });
    }
    await this.pump(res, skip);
  }

  private pump(res: HttpResponse, skip: number): Promise<void> {
    const body = res.body;
    const size = this.desc.size;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let toSkip = skip;
      let timer: NodeJS.Timeout | undefined;
      const disarm = () => {
        if (timer) clearTimeout(timer);
        timer = undefined;
      };
      const arm = () => {
        disarm();
        timer = setTimeout(() => body.destroy(new BrokenTransfer(`no data for ${this.opts.idleTimeoutMs / 1000}s`)), this.opts.idleTimeoutMs);
      };
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        disarm();
        this.resumeBody = undefined;
        body.removeListener('data', onData);
        if (err) {
          body.destroy();
          reject(err);
        } else resolve();
      };
      const onData = (chunk: Buffer) => {
        if (settled) return;
        if (toSkip > 0) {
          if (chunk.length <= toSkip) {
            toSkip -= chunk.length;
            arm();
            return;
          }
          chunk = chunk.subarray(toSkip);
          toSkip = 0;
        }
        if (this.received + chunk.length > size) {
          settle(new RegistryError('SIZE_INVALID', `${this.what()}: the registry sent more than the descriptor's ${size} bytes`, { expected: size }, 502));
          return;
        }
        this.digester.update(chunk);
        this.received += chunk.length;
        this.opts.onProgress?.(this.received);
        if (this.push(chunk)) arm();
        else {
          body.pause();
          disarm();
          this.resumeBody = () => {
            if (settled) return;
            body.resume();
            arm();
          };
        }
      };
      body.on('data', onData);
      body.once('end', () => {
        if (this.received === size) settle();
        else settle(new BrokenTransfer(`connection closed after ${this.received} of ${size} bytes`));
      });
      body.once('error', (err) =>
        settle(err instanceof BrokenTransfer ? err : new BrokenTransfer(`connection broken after ${this.received} of ${size} bytes (${err.message || 'no reason given'})`)),
      );
      body.once('close', () => settle(new BrokenTransfer(`connection closed after ${this.received} of ${size} bytes`)));
      arm();
    });
  }
}
