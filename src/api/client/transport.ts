/**
 * HTTP/1.1 to the daemon over a unix socket or TCP, with node:http: plain requests, streamed
 * responses, and connections hijacked for attach and exec (`Upgrade: tcp` → `101`), which
 * then carry raw bytes both ways and may be half-closed.
 */
import http, { type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { ApiError, DaemonUnreachableError } from './errors.js';
import type { DaemonAddress } from './host.js';

export interface HttpRequest {
  readonly method: string;
  /** Path with query, e.g. `/v1.45/containers/json?all=1`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string | Readable | null;
  readonly signal?: AbortSignal;
}

/** A raw connection to the daemon after `101 UPGRADED`. */
export interface HijackedConnection {
  /** Read the container's output from it; write stdin to it. */
  readonly socket: Socket;
  /** The response's Content-Type (raw or multiplexed stream). */
  readonly contentType: string;
  /** Half-close: no more input (sends FIN); output keeps arriving. */
  closeWrite(): void;
  /** Tears the connection down. */
  close(): void;
}

const unreachableCodes = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);

export class PermissionDeniedError extends Error {
  constructor(host: string, options?: { cause?: unknown }) {
    super(`permission denied while trying to connect to the Berth daemon socket at ${host}`, options);
    this.name = 'PermissionDeniedError';
  }
}

export class Transport {
  constructor(
    readonly address: DaemonAddress,
    private readonly userAgent: string,
  ) {}

  private options(req: HttpRequest, extra: Record<string, string> = {}): http.RequestOptions {
    const headers: Record<string, string> = { 'User-Agent': this.userAgent, ...req.headers, ...extra };
    const base: http.RequestOptions = { method: req.method, path: req.path, headers, agent: false };
    if (this.address.kind === 'unix') return { ...base, socketPath: this.address.socketPath };
    return { ...base, host: this.address.host, port: this.address.port };
  }

  private mapError(err: NodeJS.ErrnoException): Error {
    if (err.code === 'EACCES' || err.code === 'EPERM') return new PermissionDeniedError(this.address.url, { cause: err });
    if (err.code && unreachableCodes.has(err.code)) return new DaemonUnreachableError(this.address.url, { cause: err });
    return err;
  }

  /** Sends a request and resolves with the response (any status) once its headers arrive. */
  send(req: HttpRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      const body = req.body;
      if (typeof body === 'string' || Buffer.isBuffer(body)) headers['Content-Length'] = String(Buffer.byteLength(body));
      const r = http.request(this.options(req, headers), resolve);
      r.on('error', (err: NodeJS.ErrnoException) => reject(this.mapError(err)));
      if (req.signal) {
        if (req.signal.aborted) r.destroy(abortError());
        else req.signal.addEventListener('abort', () => r.destroy(abortError()), { once: true });
      }
      if (body instanceof Readable) {
        body.on('error', (err) => r.destroy(err));
        body.pipe(r);
      } else {
        r.end(body ?? undefined);
      }
    });
  }

  /**
   * Sends a request asking to upgrade the connection. Resolves with the hijacked connection on
   * `101`, or with the ordinary response when the daemon answered otherwise (an error, usually).
   */
  upgrade(req: HttpRequest): Promise<{ conn: HijackedConnection } | { res: IncomingMessage }> {
    return new Promise((resolve, reject) => {
      const body = typeof req.body === 'string' || Buffer.isBuffer(req.body) ? req.body : null;
      const extra: Record<string, string> = { Connection: 'Upgrade', Upgrade: 'tcp' };
      if (body !== null) extra['Content-Length'] = String(Buffer.byteLength(body));
      const r = http.request(this.options(req, extra));
      r.on('error', (err: NodeJS.ErrnoException) => reject(this.mapError(err)));
      r.on('response', (res) => resolve({ res }));
      r.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        if (head.length > 0) socket.unshift(head);
        socket.on('error', () => {
          /* reported through 'close'; writes after the peer went away fail with EPIPE */
        });
        const conn: HijackedConnection = {
          socket,
          contentType: String(res.headers['content-type'] ?? ''),
          closeWrite: () => {
            if (!socket.destroyed && socket.writable) socket.end();
          },
          close: () => socket.destroy(),
        };
        resolve({ conn });
      });
      r.end(body ?? undefined);
    });
  }
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

export async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Throws ApiError (reading the body) unless the status is 2xx (or 1xx/3xx listed in `ok`). */
export async function checkStatus(res: IncomingMessage, ok: readonly number[] = []): Promise<IncomingMessage> {
  const s = res.statusCode ?? 0;
  if ((s >= 200 && s < 300) || ok.includes(s)) return res;
  throw ApiError.fromBody(s, await readBody(res));
}
