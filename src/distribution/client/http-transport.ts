/**
 * HTTP(S) to registries, token servers and blob redirect targets with node:http/node:https:
 * one keep-alive agent per origin, TLS trust per host (system CAs plus `certs.d`, or no
 * verification for insecure registries), a deadline for the response headers, one transparent
 * retry when a reused keep-alive socket turns out closed, and redirects that drop `Authorization`
 * when they leave the host.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import { STATUS_CODES } from 'node:http';
import type { Logger } from '../../util/log.js';
import { loadHostTlsMaterial, systemCaCertificates } from './certs-dir.js';
import { RegistryConnectionError, connectionError, isAbortError } from './connection-error.js';
import type { InsecureRegistries } from './insecure-registries.js';

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** Always a buffer, so a request can be sent again (retries, re-authentication). */
  body?: Buffer;
  signal?: AbortSignal;
  /** Called as the body goes out, with the bytes written so far. */
  onBodyProgress?: (sent: number) => void;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  readonly url: URL;
  readonly body: IncomingMessage;
}

export interface HttpTransportOptions {
  insecure: InsecureRegistries;
  certsDirs: readonly string[];
  userAgent: string;
  logger: Logger;
  /** Deadline for connecting and receiving the response headers. */
  headerTimeoutMs: number;
  maxSocketsPerHost: number;
}

const bodySlice = 256 * 1024;
const maxRedirects = 10;

export class HttpTransport {
  private readonly agents = new Map<string, Promise<http.Agent>>();
  private readonly insecureCache = new Map<string, Promise<boolean>>();

  constructor(private readonly opts: HttpTransportOptions) {}

  /** Whether `hostPort` is an insecure registry (cached; names are resolved once). */
  isInsecure(hostPort: string): Promise<boolean> {
    let p = this.insecureCache.get(hostPort);
    if (!p) {
      p = this.opts.insecure.isInsecure(hostPort);
      this.insecureCache.set(hostPort, p);
    }
    return p;
  }

  private agentFor(url: URL): Promise<http.Agent> {
    const origin = `${url.protocol}//${url.host}`;
    let p = this.agents.get(origin);
    if (!p) {
      p = this.makeAgent(url);
      this.agents.set(origin, p);
      p.catch(() => this.agents.delete(origin));
    }
    return p;
  }

  private async makeAgent(url: URL): Promise<http.Agent> {
    const common = { keepAlive: true, maxSockets: this.opts.maxSocketsPerHost, scheduling: 'lifo' as const };
    if (url.protocol === 'http:') return new http.Agent(common);
    const host = url.host;
    if (await this.isInsecure(host)) {
      this.opts.logger.debug('registry TLS not verified (insecure registry)', { host });
      return new https.Agent({ ...common, rejectUnauthorized: false });
    }
    const material = await loadHostTlsMaterial(this.opts.certsDirs, host);
    if (material.files.length > 0) this.opts.logger.debug('registry TLS material from certs.d', { host, files: material.files });
    const secureContext = createSecureContext({
      ca: [...systemCaCertificates(), ...material.ca],
      ...(material.clientCerts.length > 0
        ? { cert: material.clientCerts.map((c) => c.cert), key: material.clientCerts.map((c) => c.key) }
        : {}),
    });
    return new https.Agent({ ...common, secureContext });
  }

  /** One request, no redirects. Rejects with RegistryConnectionError when no answer came. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const agent = await this.agentFor(req.url);
    try {
      return await this.sendOnce(req, agent);
    } catch (err) {
      // A keep-alive socket closed by the server between requests: the request never reached it.
      if (err instanceof RegistryConnectionError && (err as { reusedSocket?: boolean }).reusedSocket && ['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(err.errno ?? '')) {
        this.opts.logger.debug('keep-alive connection was closed by the server; sending again', { url: req.url.href });
        return this.sendOnce(req, agent);
      }
      throw err;
    }
  }

  private sendOnce(req: HttpRequest, agent: http.Agent): Promise<HttpResponse> {
    const url = req.url;
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent, ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(req.body.length);
    else if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE') headers['Content-Length'] = '0';
    return new Promise<HttpResponse>((resolve, reject) => {
      if (req.signal?.aborted) {
        reject(req.signal.reason instanceof Error ? req.signal.reason : abortError());
        return;
      }
      let settled = false;
      const r = lib.request(url, { method: req.method, headers, agent, ...(req.signal ? { signal: req.signal } : {}) });
      r.setTimeout(this.opts.headerTimeoutMs, () => {
        const e = new Error(`timeout awaiting response headers after ${this.opts.headerTimeoutMs / 1000}s`);
        (e as { code?: string }).code = 'BERTH_TIMEOUT';
        r.destroy(e);
      });
      r.on('response', (res) => {
        settled = true;
        r.setTimeout(0);
        const status = res.statusCode ?? 0;
        resolve({ status, statusText: res.statusMessage || STATUS_CODES[status] || '', headers: res.headers, url, body: res });
      });
      r.on('error', (err) => {
        if (settled) return; // body errors surface on the response stream
        settled = true;
        if (isAbortError(err)) {
          reject(req.signal?.reason instanceof Error ? req.signal.reason : err);
          return;
        }
        const wrapped = connectionError(err, req.method, url);
        (wrapped as { reusedSocket?: boolean }).reusedSocket = r.reusedSocket;
        reject(wrapped);
      });
      const body = req.body;
      if (body === undefined || body.length === 0) {
        r.end();
        return;
      }
      let offset = 0;
      const writeMore = (): void => {
        while (offset < body.length) {
          const end = Math.min(offset + bodySlice, body.length);
          const slice = body.subarray(offset, end);
          offset = end;
          const sentSoFar = end;
          const ok = r.write(slice, () => req.onBodyProgress?.(sentSoFar));
          if (!ok) {
            r.once('drain', writeMore);
            return;
          }
        }
        r.end();
      };
      writeMore();
    });
  }

  /**
   * Sends and follows 301/302/303/307/308 (GET and HEAD only, as blob downloads need): up to ten
   * hops; `Authorization` goes only to the original host:port.
   */
  async sendFollowingRedirects(req: HttpRequest): Promise<HttpResponse> {
    let current = req;
    const originHost = req.url.host;
    for (let hop = 0; ; hop++) {
      const res = await this.send(current);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.status) || !location || (current.method !== 'GET' && current.method !== 'HEAD')) return res;
      res.body.resume();
      if (hop >= maxRedirects) {
        throw connectionError(new Error(`stopped after ${maxRedirects} redirects`), current.method, current.url);
      }
      let next: URL;
      try {
        next = new URL(location, current.url);
      } catch {
        throw connectionError(new Error(`invalid redirect Location ${JSON.stringify(location)}`), current.method, current.url);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw connectionError(new Error(`refusing redirect to ${next.protocol} URL`), current.method, current.url);
      }
      const headers = { ...current.headers };
      if (next.host !== originHost) {
        for (const k of Object.keys(headers)) if (k.toLowerCase() === 'authorization') delete headers[k];
      }
      this.opts.logger.debug('registry redirect', { from: current.url.href, to: next.href });
      current = { ...current, url: next, headers };
    }
  }

  /** Closes idle keep-alive sockets; requests in flight finish. */
  close(): void {
    for (const p of this.agents.values()) void p.then((a) => a.destroy(), () => {});
    this.agents.clear();
  }
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** Reads a whole body, refusing more than `limit` bytes (the response is destroyed then). */
export function readBody(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      res.body.destroy();
      reject(new BodyTooLargeError(`${what} is larger than ${limit} bytes (Content-Length ${declared})`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.body.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        res.body.destroy();
        reject(new BodyTooLargeError(`${what} is larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.body.on('end', () => resolve(Buffer.concat(chunks)));
    res.body.on('error', (err) => reject(isAbortError(err) ? err : connectionError(err, 'GET', res.url)));
    res.body.on('close', () => {
      if (!res.body.complete) reject(connectionError(Object.assign(new Error('unexpected EOF'), { code: 'ECONNRESET' }), 'GET', res.url));
    });
  });
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads and drops a small body to its end, so the socket is back in the pool before the next request. */
export async function drainBody(res: HttpResponse): Promise<void> {
  try {
    await readBody(res, 1024 * 1024, 'response');
  } catch {
    /* a broken or huge body: the socket is gone either way */
  }
}

/** Discards a body we do not need, keeping the socket reusable when the body is small. */
export function discardBody(res: HttpResponse): void {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > 1024 * 1024) res.body.destroy();
  else res.body.resume();
}
