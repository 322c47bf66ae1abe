/**
 * The Engine API over HTTP/1.1 on unix sockets (and TCP). Plain requests and `Upgrade: tcp`
 * requests (attach, exec) go through the same router; errors become Docker's
 * `{"message": …}` bodies with the status from error-status.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../util/log.js';
import { RequestContext } from './context.js';
import { Router, splitVersion, MethodNotAllowed, maxApiVersion } from './router.js';
import { statusForError, messageForError } from './error-status.js';

export const serverHeaders = {
  'Api-Version': maxApiVersion,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: 'Berth (linux)',
};

export class ApiServer {
  private readonly servers: Server[] = [];

  constructor(
    private readonly router: Router,
    private readonly log: Logger,
  ) {}

  /** One HTTP server per listening address, all sharing the router. */
  private newServer(): Server {
    const server = createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
      void this.dispatch(req, res, null, null);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.dispatch(req, null, socket, head);
    });
    server.on('clientError', (err, socket) => {
      if (!socket.writable) return;
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      this.log.debug('client error', { err });
    });
    this.servers.push(server);
    return server;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse | null, socket: Duplex | null, head: Buffer | null): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://berth');
    const reqLog = this.log.child({ req: randomBytes(4).toString('hex') });
    if (res) for (const [k, v] of Object.entries(serverHeaders)) res.setHeader(k, v);
    let ctx: RequestContext | undefined;
    try {
      const { version, rest } = splitVersion(url.pathname);
      const { handler, params } = this.router.match(req.method ?? 'GET', rest);
      ctx = new RequestContext(req, res, socket, head, params, url.searchParams, version, reqLog);
      await handler(ctx);
    } catch (err) {
      this.fail(req, res, socket, err, reqLog);
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      reqLog.debug('request', { method: req.method, path: url.pathname, ms: Math.round(ms * 10) / 10, status: res?.statusCode });
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse | null, socket: Duplex | null, err: unknown, log: Logger): void {
    const status = err instanceof MethodNotAllowed ? 405 : statusForError(err);
    const message = err instanceof MethodNotAllowed ? 'Method Not Allowed' : messageForError(err);
    if (status >= 500) log.error('request failed', { method: req.method, path: req.url, err: message, stack: (err as Error)?.stack });
    else log.debug('request refused', { method: req.method, path: req.url, status, err: message });
    const body = JSON.stringify({ message });
    if (res) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (socket && socket.writable) {
      const reason = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error' }[status] ?? 'Error';
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }

  listenUnix(path: string): Promise<void> {
    return this.listen((server, cb) => server.listen(path, cb));
  }

  listenTcp(host: string, port: number): Promise<void> {
    return this.listen((server, cb) => server.listen(port, host, cb));
  }

  private listen(start: (server: Server, cb: () => void) => void): Promise<void> {
    const server = this.newServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      start(server, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }
}
