import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ApiError, DaemonUnreachableError, demuxStream, EngineClient, encodeQuery, parseHost, resolveHost } from './index.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What the client sent besides the version pings it makes before unrepeatable requests. */
function withoutPings(seen: Seen[]): Seen[] {
  return seen.filter((s) => s.url !== '/_ping');
}

function frame(stream: number, text: string): Buffer {
  const data = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

async function withServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
  fn: (client: EngineClient, seen: Seen[]) => Promise<void>,
  onUpgrade?: (req: http.IncomingMessage, socket: Duplex) => void,
  clientOpts: { apiVersion?: string } = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-client-'));
  const sock = join(dir, 'd.sock');
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  if (onUpgrade) {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: '' });
      onUpgrade(req, socket);
    });
  }
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    await fn(new EngineClient({ host: `unix://${sock}`, env: {}, ...clientOpts }), seen);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

test('parseHost and resolveHost follow docker precedence', () => {
  assert.deepEqual(parseHost('unix:///run/x.sock'), { kind: 'unix', socketPath: '/run/x.sock', url: 'unix:///run/x.sock' });
  assert.deepEqual(parseHost('tcp://10.0.0.1:2376'), { kind: 'tcp', host: '10.0.0.1', port: 2376, url: 'tcp://10.0.0.1:2376' });
  assert.equal(parseHost('tcp://[::1]:1').kind === 'tcp' && (parseHost('tcp://[::1]:1') as { host: string }).host, '::1');
  assert.throws(() => parseHost('foo://x'));
  assert.equal(resolveHost(undefined, {}).url, 'unix:///run/berth/berth.sock');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///d.sock' }).url, 'unix:///d.sock');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///d.sock', BERTH_HOST: 'unix:///b.sock' }).url, 'unix:///b.sock');
  assert.equal(resolveHost(['unix:///h.sock'], { BERTH_HOST: 'unix:///b.sock' }).url, 'unix:///h.sock');
});

test('encodeQuery drops false values and repeats arrays', () => {
  assert.equal(encodeQuery({ all: true, size: false, limit: 3, x: undefined, changes: ['CMD ["sh"]', 'ENV A=1'] }), '?all=1&limit=3&changes=CMD+%5B%22sh%22%5D&changes=ENV+A%3D1');
  assert.equal(encodeQuery({}), '');
});

test('plain requests use versioned paths, query and JSON bodies', async () => {
  await withServer(
    (req, res) => {
      if (req.url!.startsWith('/v1.45/containers/json')) json(res, 200, [{ Id: 'abc', Names: ['/web'] }]);
      else if (req.url!.startsWith('/v1.45/containers/create')) json(res, 201, { Id: 'new', Warnings: [] });
      else if (req.url!.includes('/start')) {
        res.writeHead(304);
        res.end();
      } else json(res, 404, { message: 'page not found' });
    },
    async (client, seen) => {
      const list = await client.containerList({ all: true, filters: { status: ['exited'], label: [] } });
      assert.equal(list[0]!.Id, 'abc');
      assert.equal(seen[0]!.method, 'GET');
      assert.equal(decodeURIComponent(seen[0]!.url), '/v1.45/containers/json?all=1&filters={"status":["exited"]}');
      const created = await client.containerCreate({ Image: 'busybox' }, { name: 'web' });
      assert.equal(created.Id, 'new');
      assert.equal(seen[1]!.url, '/v1.45/containers/create?name=web');
      assert.equal(seen[1]!.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(seen[1]!.body), { Image: 'busybox' });
      assert.equal(await client.containerStart('new'), false);
    },
  );
});

test('non-2xx answers become ApiError with the daemon message', async () => {
  await withServer(
    (req, res) => {
      if (req.url!.includes('/plain')) {
        res.writeHead(500);
        res.end('boom\n');
      } else if (req.url!.includes('/empty')) {
        res.writeHead(503);
        res.end();
      } else json(res, 404, { message: 'No such container: nope' });
    },
    async (client) => {
      await assert.rejects(client.containerInspect('nope'), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.status, 404);
        assert.equal(e.isNotFound, true);
        assert.equal(e.message, 'Error response from daemon: No such container: nope');
        return true;
      });
      await assert.rejects(client.containerKill('plain'), { message: 'Error response from daemon: boom' });
      await assert.rejects(client.containerKill('empty'), { message: 'Error response from daemon: 503 Service Unavailable' });
    },
  );
});

test('an unreachable daemon gives a clear error', async () => {
  const client = new EngineClient({ host: 'unix:///nonexistent/berth.sock', env: {} });
  await assert.rejects(client.ping(), (e: unknown) => {
    assert.ok(e instanceof DaemonUnreachableError);
    assert.equal(e.message, 'Cannot connect to the Berth daemon at unix:///nonexistent/berth.sock. Is the berthd daemon running?');
    return true;
  });
});

test('the version is negotiated down only when the daemon refuses 1.45', async () => {
  await withServer(
    (req, res) => {
      if (req.url === '/_ping') {
        res.writeHead(200, { 'API-Version': '1.43', 'Content-Type': 'text/plain' });
        res.end('OK');
      } else if (req.url!.startsWith('/v1.45/')) json(res, 400, { message: 'client version 1.45 is too new. Maximum supported API version is 1.43' });
      else json(res, 200, { Version: '24.0.0', ApiVersion: '1.43', Os: 'linux', Arch: 'amd64' });
    },
    async (client, seen) => {
      const v = await client.serverVersion();
      assert.equal(v.ApiVersion, '1.43');
      assert.deepEqual(
        seen.map((s) => s.url),
        ['/v1.45/version', '/_ping', '/v1.43/version'],
      );
      assert.equal(client.apiVersion, '1.43');
    },
  );
});

test('a streamed body (import) is sent once, at the version settled by a ping first', async () => {
  await withServer(
    (req, res, body) => {
      if (req.url === '/_ping') {
        res.writeHead(200, { 'API-Version': '1.41', 'Content-Type': 'text/plain' });
        res.end('OK');
      } else if (req.url!.startsWith('/v1.41/')) json(res, 200, { status: `got ${body}` });
      else json(res, 400, { message: 'client version 1.45 is too new. Maximum supported API version is 1.41' });
    },
    async (client, seen) => {
      const src = new PassThrough();
      src.end('tar bytes');
      const msgs = [];
      for await (const m of client.imageImport(src, {})) msgs.push(m);
      assert.deepEqual(msgs, [{ status: 'got tar bytes' }]);
      assert.deepEqual(seen.map((s) => s.url.split('?')[0]), ['/_ping', '/v1.41/images/create']);
    },
  );
});

test('ping reads the API-Version header', async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200, { 'API-Version': '1.45', OSType: 'linux', 'Content-Type': 'text/plain' });
      res.end('OK');
    },
    async (client) => {
      const p = await client.ping();
      assert.equal(p.apiVersion, '1.45');
      assert.equal(p.osType, 'linux');
    },
  );
});

test('events arrive as a JSON stream, split anywhere', async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const text = JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'a' }, time: 1, timeNano: 1 }) + '\n' + JSON.stringify({ Type: 'image', Action: 'tag', Actor: { ID: 'b{}' }, time: 2, timeNano: 2 });
      res.write(text.slice(0, 17));
      setTimeout(() => res.end(text.slice(17)), 20);
    },
    async (client, seen) => {
      const got: string[] = [];
      for await (const e of client.events({ since: '10', filters: { type: ['container', 'image'] } })) got.push(`${e.Type}/${e.Action}/${e.Actor.ID}`);
      assert.deepEqual(got, ['container/start/a', 'image/tag/b{}']);
      assert.match(decodeURIComponent(seen[0]!.url), /since=10&filters={"type":\["container","image"\]}/);
    },
  );
});

test('wait resolves once registered; the result comes at exit', async () => {
  let finish: (() => void) | undefined;
  await withServer(
    (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      finish = () => res.end(JSON.stringify({ StatusCode: 7, Error: null }) + '\n');
    },
    async (client, seen) => {
      const { result } = await client.containerWait('c1', 'next-exit');
      assert.equal(seen[0]!.url, '/v1.45/containers/c1/wait?condition=next-exit');
      finish!();
      assert.equal((await result).StatusCode, 7);
    },
  );
});

test('multiplexed logs demux into stdout and stderr', async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err one\n'), frame(1, 'out two\n')]);
      // Split inside a header and inside a payload.
      res.write(all.subarray(0, 5));
      res.write(all.subarray(5, 20));
      res.end(all.subarray(20));
    },
    async (client, seen) => {
      const res = await client.containerLogs('c1', { stdout: true, stderr: true, tail: 'all', timestamps: false });
      const out = new PassThrough();
      const err = new PassThrough();
      const o: Buffer[] = [];
      const e: Buffer[] = [];
      out.on('data', (c: Buffer) => o.push(c));
      err.on('data', (c: Buffer) => e.push(c));
      await demuxStream(res, out, err);
      assert.equal(Buffer.concat(o).toString(), 'out one\nout two\n');
      assert.equal(Buffer.concat(e).toString(), 'err one\n');
      assert.equal(seen[0]!.url, '/v1.45/containers/c1/logs?stdout=1&stderr=1&tail=all');
    },
  );
});

test('hijacked attach is full duplex and supports half-close', async () => {
  await withServer(
    (_req, res) => json(res, 404, { message: 'no' }),
    async (client, seen) => {
      const conn = await client.containerAttach('c1', { stdin: true, stdout: true, stderr: true });
      assert.equal(withoutPings(seen)[0]!.url, '/v1.45/containers/c1/attach?stream=1&stdin=1&stdout=1&stderr=1');
      assert.equal(withoutPings(seen)[0]!.headers.upgrade, 'tcp');
      assert.equal(conn.contentType, 'application/vnd.docker.multiplexed-stream');
      const out = new PassThrough();
      const err = new PassThrough();
      const o: Buffer[] = [];
      const e: Buffer[] = [];
      out.on('data', (c: Buffer) => o.push(c));
      err.on('data', (c: Buffer) => e.push(c));
      const done = demuxStream(conn.socket, out, err);
      conn.socket.write('hello ');
      conn.socket.write('world');
      conn.closeWrite();
      await done;
      assert.equal(Buffer.concat(o).toString(), 'hello world');
      assert.equal(Buffer.concat(e).toString(), 'stdin closed\n');
    },
    (_req, socket) => {
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      socket.on('data', (c: Buffer) => socket.write(frame(1, c.toString())));
      socket.on('end', () => {
        // The client closed its write side; output can still flow.
        setTimeout(() => socket.end(frame(2, 'stdin closed\n')), 20);
      });
    },
  );
});

test('a hijack refused by the daemon gives an ApiError', async () => {
  await withServer(
    (_req, res) => json(res, 409, { message: 'container c1 is not running' }),
    async (client) => {
      await assert.rejects(client.containerAttach('c1', { stdout: true }), { message: 'Error response from daemon: container c1 is not running' });
    },
    (req, socket) => {
      void req;
      socket.end('HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 41\r\nConnection: close\r\n\r\n{"message":"container c1 is not running"}');
    },
  );
});

test('exec start sends its JSON body on the upgraded request', async () => {
  let body = '';
  await withServer(
    (_req, res) => json(res, 404, { message: 'no' }),
    async (client) => {
      const conn = await client.execStartAttached('e1', { tty: true, consoleSize: [24, 80] });
      const chunks: Buffer[] = [];
      for await (const c of conn.socket) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'raw tty output');
      assert.deepEqual(JSON.parse(body), { Detach: false, Tty: true, ConsoleSize: [24, 80] });
    },
    (req, socket) => {
      const n = Number(req.headers['content-length']);
      let got = Buffer.alloc(0);
      const onData = (c: Buffer) => {
        got = Buffer.concat([got, c]);
        if (got.length >= n) {
          socket.off('data', onData);
          body = got.toString();
          socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
          socket.end('raw tty output');
        }
      };
      socket.on('data', onData);
    },
  );
});

test('import streams the body and reads the progress messages', async () => {
  await withServer(
    (_req, res, body) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: `sha256:${body.length}` }) + '\r\n');
    },
    async (client, seen) => {
      const src = new PassThrough();
      src.end('tar bytes');
      const msgs = [];
      for await (const m of client.imageImport(src, { repo: 'busybox', tag: 'latest', changes: ['CMD ["sh"]'] })) msgs.push(m);
      assert.deepEqual(msgs, [{ status: 'sha256:9' }]);
      assert.equal(decodeURIComponent(withoutPings(seen)[0]!.url.replace(/\+/g, ' ')), '/v1.45/images/create?fromSrc=-&repo=busybox&tag=latest&changes=CMD ["sh"]');
      assert.equal(withoutPings(seen)[0]!.headers['transfer-encoding'], 'chunked');
    },
  );
});
