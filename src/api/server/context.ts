/**
 * One API request: parsed path parameters and query, the body, and the ways to answer it —
 * JSON, no content, a chunked stream, or a hijacked raw connection for attach and exec.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';

export const maxJsonBody = 16 * 1024 * 1024;

export class RequestContext {
  private hijacked: Duplex | null = null;
  private upgradeBodyRead: Buffer | null = null;

  constructor(
    readonly req: IncomingMessage,
    /** Null for requests that arrived with `Upgrade:` (Node hands those over as a raw socket). */
    readonly res: ServerResponse | null,
    private readonly upgradeSocket: Duplex | null,
    private upgradeHead: Buffer | null,
    readonly params: Record<string, string>,
    readonly query: URLSearchParams,
    /** The API version the client asked for (the `/vX.Y` prefix), or the server's. */
    readonly apiVersion: string,
    readonly log: Logger,
  ) {}

  /** `1`/`true`/`True` → true, as Docker's boolValue; missing → `def`. */
  bool(name: string, def = false): boolean {
    const v = this.query.get(name);
    if (v === null) return def;
    const s = v.toLowerCase();
    return !(s === '' || s === '0' || s === 'no' || s === 'false' || s === 'none');
  }

  int(name: string, def: number): number {
    const v = this.query.get(name);
    if (v === null || v === '') return def;
    const n = Number(v);
    if (!Number.isFinite(n) || !Number.isInteger(n)) throw new InvalidArgumentError(`invalid ${name} value: ${JSON.stringify(v)}`);
    return n;
  }

  /** Docker's `filters` query parameter: JSON `{"key":["v",…]}` (or the old `{"key":{"v":true}}`). */
  filters(): Record<string, string[]> {
    const raw = this.query.get('filters');
    if (!raw) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new InvalidArgumentError(`invalid filter '${raw}'`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError(`invalid filter '${raw}'`);
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (Array.isArray(v)) out[k] = v.map(String);
      else if (v && typeof v === 'object') out[k] = Object.entries(v as Record<string, unknown>).filter(([, on]) => on).map(([x]) => x);
      else throw new InvalidArgumentError(`invalid filter '${raw}'`);
    }
    return out;
  }

  async bodyBuffer(limit = maxJsonBody): Promise<Buffer> {
    if (this.upgradeSocket) return this.upgradeBody(limit);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new InvalidArgumentError(`request body larger than ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /**
   * An upgrade request's body (exec start and attach send JSON with `Upgrade: tcp`): Node hands
   * over the raw socket with the bytes read so far in `head`, so the body is taken from there by
   * Content-Length, and whatever follows it is left for the hijacked stream.
   */
  private async upgradeBody(limit: number): Promise<Buffer> {
    if (this.upgradeBodyRead) return this.upgradeBodyRead;
    const length = Number(this.req.headers['content-length'] ?? 0);
    if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError('invalid Content-Length');
    if (length > limit) throw new InvalidArgumentError(`request body larger than ${limit} bytes`);
    let have = this.upgradeHead ?? Buffer.alloc(0);
    const sock = this.upgradeSocket!;
    while (have.length < length) {
      const chunk = await new Promise<Buffer | null>((resolve, reject) => {
        const onData = (c: Buffer) => done(c);
        const onEnd = () => done(null);
        const onError = (e: Error) => {
          cleanup();
          reject(e);
        };
        const cleanup = () => {
          sock.off('data', onData);
          sock.off('end', onEnd);
          sock.off('error', onError);
          sock.pause();
        };
        const done = (c: Buffer | null) => {
          cleanup();
          resolve(c);
        };
        sock.on('data', onData);
        sock.once('end', onEnd);
        sock.once('error', onError);
        sock.resume();
      });
      if (!chunk) throw new InvalidArgumentError('request body ended early');
      have = Buffer.concat([have, chunk]);
    }
    this.upgradeBodyRead = have.subarray(0, length);
    this.upgradeHead = have.subarray(length);
    return this.upgradeBodyRead;
  }

  /** Parses a JSON body; an empty body gives `fallback` (Docker accepts empty bodies on many POSTs). */
  async json<T>(fallback?: T): Promise<T> {
    const buf = await this.bodyBuffer();
    if (buf.length === 0 || buf.toString().trim() === '') {
      if (fallback !== undefined) return fallback;
      throw new InvalidArgumentError('request body must be JSON, got an empty body');
    }
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch (err) {
      throw new InvalidArgumentError(`invalid JSON: ${(err as Error).message}`);
    }
  }

  private response(): ServerResponse {
    if (!this.res) throw new Error('this request was upgraded; answer on the hijacked connection');
    return this.res;
  }

  send(status: number, body: unknown): void {
    const res = this.response();
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  text(status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
    const res = this.response();
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  noContent(status = 204): void {
    const res = this.response();
    res.writeHead(status);
    res.end();
  }

  /** Starts a streamed (chunked) response and flushes the headers at once. */
  stream(contentType: string, status = 200): ServerResponse {
    const res = this.response();
    res.writeHead(status, { 'Content-Type': contentType });
    res.flushHeaders();
    return res;
  }

  get isUpgrade(): boolean {
    return this.upgradeSocket !== null;
  }

  /**
   * Takes over the connection for a raw bidirectional stream: `101 UPGRADED` when the client
   * asked to upgrade, else a `200` with no framing after it (older clients).
   */
  async hijack(contentType: string): Promise<Duplex> {
    if (this.hijacked) return this.hijacked;
    if (this.upgradeSocket) {
      // A body the route did not read (dockerode sends attach options as JSON) is not stdin.
      await this.upgradeBody(maxJsonBody);
      const sock = this.upgradeSocket;
      sock.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
      if (this.upgradeHead && this.upgradeHead.length) sock.unshift(this.upgradeHead);
      this.hijacked = sock;
      return sock;
    }
    const res = this.response();
    // Close-delimited body: no chunked framing around the raw stream.
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, { 'Content-Type': contentType, Connection: 'close' });
    res.flushHeaders();
    const sock = res.socket as Duplex;
    this.hijacked = sock;
    return sock;
  }
}
