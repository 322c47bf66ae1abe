/**
 * Transport details against raw servers on 127.0.0.1: a keep-alive connection the server drops
 * when the next request arrives is retried once on a new connection; the header deadline; Go-like
 * messages for refused connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Logger } from '../../util/log.js';
import { HttpTransport, readBody } from './http-transport.js';
import { InsecureRegistries } from './insecure-registries.js';
import { RegistryConnectionError } from './connection-error.js';

function transport(headerTimeoutMs = 5000) {
  return new HttpTransport({ insecure: new InsecureRegistries(), certsDirs: [], userAgent: 'berth-test', logger: Logger.silent(), headerTimeoutMs, maxSocketsPerHost: 1 });
}

/** Answers the first request on each connection, then drops the connection at the next one. */
async function oneShotServer() {
  let connections = 0;
  const server = createServer((sock: Socket) => {
    connections++;
    let served = 0;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        if (served++ === 0) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        else sock.destroy();
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('a reused keep-alive socket that the server closed is retried once on a new connection', async () => {
  const s = await oneShotServer();
  const t = transport();
  try {
    const url = new URL(`http://127.0.0.1:${s.port}/v2/`);
    for (let i = 0; i < 3; i++) {
      const res = await t.send({ method: 'GET', url });
      assert.equal(res.status, 200);
      assert.equal((await readBody(res, 100, 'body')).toString(), 'ok');
    }
    assert.equal(s.connections(), 3, 'each reuse failed and was retried on a fresh connection');
  } finally {
    t.close();
    await s.close();
  }
});

test('no response headers within the deadline is a timeout error naming the request', async () => {
  const server = createServer((sock) => sock.on('error', () => {})); // accepts, never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const t = transport(200);
  try {
    await assert.rejects(t.send({ method: 'HEAD', url: new URL(`http://127.0.0.1:${port}/v2/x/blobs/y`) }), (e: Error) => {
      assert.ok(e instanceof RegistryConnectionError);
      assert.equal(e.message, `Head "http://127.0.0.1:${port}/v2/x/blobs/y": timeout awaiting response headers after 0.2s`);
      return true;
    });
  } finally {
    t.close();
    server.close();
  }
});
