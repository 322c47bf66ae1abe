/**
 * A scriptable HTTP server on 127.0.0.1 for registry client tests that need a registry to
 * misbehave (wrong digests, cut or endless bodies, odd redirects, challenges). `/v2/` answers 200
 * unless the handler takes it; every request is recorded with its headers.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The client port: requests on one keep-alive connection share it. */
  remotePort: number;
}

/** Return true when the request was answered. */
export type FakeHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | void | Promise<boolean | void>;

export interface FakeRegistry {
  host: string;
  port: number;
  requests: RecordedRequest[];
  connections: () => number;
  stop(): Promise<void>;
}

export async function startFakeRegistry(handler: FakeHandler): Promise<FakeRegistry> {
  const requests: RecordedRequest[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, remotePort: req.socket.remotePort ?? 0 });
      try {
        if (await handler(req, res, Buffer.concat(chunks))) return;
      } catch (err) {
        res.writeHead(599).end(String(err));
        return;
      }
      if (req.url === '/v2/') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
