import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { closeSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { SeqpacketSocket, DEFAULT_MAX_PACKET, isSystemError, type SeqpacketSocketOptions } from './index.js';
import { seqpacketAccept, seqpacketListen, seqpacketPair } from './testing.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-seqpacket-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
/** A listening socket at a fresh path, and a way to accept its next connection as a stream. */
function listener(path = join(dir, `s${++serial}.sock`)) {
  const fd = seqpacketListen(path);
  return {
    path,
    accept: async (options?: SeqpacketSocketOptions) => SeqpacketSocket.fromFd(await seqpacketAccept(fd), options),
    close: () => closeSync(fd),
  };
}

async function connectedPair(serverOptions?: SeqpacketSocketOptions): Promise<[SeqpacketSocket, SeqpacketSocket]> {
  const l = listener();
  try {
    const client = await SeqpacketSocket.connect(l.path);
    return [client, await l.accept(serverOptions)];
  } finally {
    l.close();
  }
}

/** Every chunk `sock` emits until 'end' (or `count` chunks). */
function collect(sock: SeqpacketSocket, count = Infinity): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (b: Buffer) => {
      chunks.push(b);
      if (chunks.length >= count) done();
    };
    const done = () => {
      sock.off('data', onData);
      resolve(chunks);
    };
    sock.on('data', onData);
    sock.once('end', done);
    sock.once('error', reject);
  });
}

/** Resolves once `sock` has emitted 'close', also if it already has. */
function closed(sock: SeqpacketSocket): Promise<unknown> {
  // Not events.once: it rejects on an 'error' emitted before 'close', which destroy(err) does.
  return sock.closed ? Promise.resolve() : new Promise((resolve) => sock.once('close', resolve));
}

/** Records 'error' events, which none of the orderly shutdowns may emit. */
function errorsOf(sock: SeqpacketSocket): Error[] {
  const errors: Error[] = [];
  sock.on('error', (e) => errors.push(e));
  return errors;
}

/** What /proc says fd `fd` is, or null once it is closed. */
function fdTarget(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** The sockets open in this process, by kernel object, so a reused fd number is no confusion. */
function openSockets(): Map<string, number> {
  const sockets = new Map<string, number>();
  for (const name of readdirSync('/proc/self/fd')) {
    const target = fdTarget(Number(name));
    if (target?.startsWith('socket:')) sockets.set(target, Number(name));
  }
  return sockets;
}

function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

function write(sock: SeqpacketSocket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => sock.write(data, (err) => (err ? reject(err) : resolve())));
}

describe('SeqpacketSocket.connect', () => {
  test('connects to a listener and exchanges packets both ways', async () => {
    const [client, server] = await connectedPair();
    const atServer = collect(server, 1);
    client.write('hello');
    assert.deepEqual((await atServer).map(String), ['hello']);
    const atClient = collect(client, 1);
    server.write(Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(await atClient, [Buffer.from([0, 1, 2, 255])]);
    client.destroy();
    server.destroy();
  });

  test('rejects with ENOENT when nothing is at the path', async () => {
    const path = join(dir, 'missing.sock');
    await assert.rejects(SeqpacketSocket.connect(path), (err: unknown) => {
      assert.ok(isSystemError(err, 'ENOENT'), String(err));
      assert.equal(err.syscall, 'connect');
      assert.equal(err.path, path);
      assert.equal(err.errno, -2);
      return true;
    });
  });

  test('rejects with ECONNREFUSED when the socket file has no listener', async () => {
    const l = listener();
    l.close();
    await assert.rejects(SeqpacketSocket.connect(l.path), { code: 'ECONNREFUSED', syscall: 'connect' });
  });

  test('rejects with ECONNREFUSED for a stream socket (wrong socket type)', async () => {
    const { createServer } = await import('node:net');
    const path = join(dir, 'stream.sock');
    const srv = createServer().listen(path);
    await once(srv, 'listening');
    try {
      await assert.rejects(SeqpacketSocket.connect(path), (err: unknown) => isSystemError(err) && ['ECONNREFUSED', 'EPROTOTYPE'].includes(err.code));
    } finally {
      srv.close();
    }
  });

  test('connects to a path longer than sun_path (108 bytes), leaving no extra fd open', async () => {
    let deep = dir;
    while (deep.length < 150) deep = join(deep, 'a-rather-long-directory-name');
    mkdirSync(deep, { recursive: true });
    const l = listener(join(deep, 'attach'));
    assert.ok(l.path.length > 108, `path is ${l.path.length} bytes`);
    const before = openFdCount();
    const socketsBefore = openSockets();
    const client = await SeqpacketSocket.connect(l.path);
    assert.equal(openFdCount(), before + 1, 'only the socket itself stays open');
    assert.equal([...openSockets().keys()].filter((s) => !socketsBefore.has(s)).length, 1);
    const server = await l.accept();
    l.close();
    const got = collect(server, 1);
    client.write('through /proc/self/fd');
    assert.equal(String((await got)[0]), 'through /proc/self/fd');
    client.destroy();
    server.destroy();
  });

  test('the connected fd is close-on-exec and non-blocking', async () => {
    const l = listener();
    const before = openSockets();
    const client = await SeqpacketSocket.connect(l.path);
    l.close();
    const [fd] = [...openSockets()].filter(([s]) => !before.has(s)).map(([, fd]) => fd);
    assert.ok(fd, 'the client socket shows in /proc/self/fd');
    const flags = Number.parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    assert.ok(flags & 0o2000000, `O_CLOEXEC in flags ${flags.toString(8)}`);
    assert.ok(flags & 0o4000, `O_NONBLOCK in flags ${flags.toString(8)}`);
    client.destroy();
    await closed(client);
  });
});

describe('SeqpacketSocket packets', () => {
  test('keeps packet boundaries: one write, one chunk, also through read() and async iteration', async () => {
    const [a, b] = seqpacketPair().map((fd) => SeqpacketSocket.fromFd(fd)) as [SeqpacketSocket, SeqpacketSocket];
    await write(a, 'one');
    await write(a, 'two');
    await write(a, 'three');
    a.end();
    const seen: string[] = [];
    await once(b, 'readable');
    seen.push(String(b.read()));
    for await (const chunk of b) seen.push(String(chunk));
    assert.deepEqual(seen, ['one', 'two', 'three']);
    a.destroy();
  });

  test('splits a large write into packets of at most maxPacket (8192 by default)', async () => {
    const [client, server] = await connectedPair();
    assert.equal(client.maxPacket, DEFAULT_MAX_PACKET);
    const data = Buffer.alloc(20000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const got = collect(server, 3);
    client.write(data);
    const packets = await got;
    assert.deepEqual(packets.map((p) => p.length), [8192, 8192, 3616]);
    assert.ok(Buffer.concat(packets).equals(data));
    client.destroy();
    server.destroy();
  });

  test('honours a custom maxPacket', async () => {
    const [fa, fb] = seqpacketPair();
    const a = SeqpacketSocket.fromFd(fa, { maxPacket: 1000 });
    const b = SeqpacketSocket.fromFd(fb);
    const got = collect(b, 3);
    a.write(Buffer.alloc(2500, 1));
    assert.deepEqual((await got).map((p) => p.length), [1000, 1000, 500]);
    assert.throws(() => SeqpacketSocket.fromFd(seqpacketPair()[0], { maxPacket: 0 }), RangeError);
    a.destroy();
    b.destroy();
  });

  test('receives a packet of up to 64 KiB whole', async () => {
    const [fa, fb] = seqpacketPair();
    const a = SeqpacketSocket.fromFd(fa, { maxPacket: 65536 });
    const b = SeqpacketSocket.fromFd(fb);
    const got = collect(b, 1);
    a.write(Buffer.alloc(65536, 9));
    const [packet] = await got;
    assert.equal(packet!.length, 65536);
    a.destroy();
    b.destroy();
  });

  test('sends nothing for an empty write (an empty packet would read as end of stream)', async () => {
    const [a, b] = seqpacketPair().map((fd) => SeqpacketSocket.fromFd(fd)) as [SeqpacketSocket, SeqpacketSocket];
    let ended = false;
    b.on('end', () => (ended = true));
    const got = collect(b, 1);
    await write(a, Buffer.alloc(0));
    await write(a, 'x');
    assert.deepEqual((await got).map(String), ['x']);
    await sleep(20);
    assert.equal(ended, false);
    a.destroy();
    b.destroy();
  });
});

describe('SeqpacketSocket flow control', () => {
  test('stops reading when the consumer is full and resumes without losing or reordering packets', async () => {
    const [fa, fb] = seqpacketPair();
    const sender = SeqpacketSocket.fromFd(fa);
    const receiver = SeqpacketSocket.fromFd(fb, { readableHighWaterMark: 4 });
    const total = 2000;
    let sent = 0;
    const sending = (async () => {
      for (; sent < total; sent++) {
        if (!sender.write(Buffer.alloc(4000, sent % 256))) await once(sender, 'drain');
      }
    })();
    receiver.pause();
    receiver.read(0); // let it fill its queue
    await sleep(100);
    assert.ok(receiver.readableLength <= 5, `readable queue holds ${receiver.readableLength} packets`);
    assert.ok(sent < total, 'the sender is held back by the full socket');
    const got = collect(receiver, total);
    receiver.resume();
    const packets = await got;
    await sending;
    assert.equal(packets.length, total);
    packets.forEach((p, i) => assert.equal(p[0], i % 256));
    sender.destroy();
    receiver.destroy();
  });

  test('waits for a full socket to drain without spinning the CPU', async () => {
    const [fa, fb] = seqpacketPair();
    const writer = SeqpacketSocket.fromFd(fa);
    const reader = SeqpacketSocket.fromFd(fb);
    reader.pause();
    let written = false;
    writer.write(Buffer.alloc(4 * 1024 * 1024, 7), () => (written = true));
    await sleep(50);
    assert.equal(written, false, 'the write waits for buffer space');
    const cpu = process.cpuUsage();
    await sleep(300);
    const used = process.cpuUsage(cpu);
    assert.ok(used.user + used.system < 100_000, `used ${used.user + used.system} µs of CPU while waiting`);
    let received = 0;
    reader.on('data', (p: Buffer) => (received += p.length));
    reader.resume();
    while (!written) await sleep(5);
    while (received < 4 * 1024 * 1024) await sleep(5);
    assert.equal(received, 4 * 1024 * 1024);
    writer.destroy();
    reader.destroy();
  });
});

describe('SeqpacketSocket ending and closing', () => {
  test('end() half-closes: the peer reads end of stream and can still answer', async () => {
    const [client, server] = await connectedPair({ allowHalfOpen: true });
    const clientErrors = errorsOf(client);
    const atServer = collect(server);
    client.end('last words');
    assert.deepEqual((await atServer).map(String), ['last words']); // resolved by 'end'
    const atClient = collect(client);
    server.end('reply after your end');
    assert.deepEqual((await atClient).map(String), ['reply after your end']);
    await Promise.all([closed(client), closed(server)]);
    assert.deepEqual(clientErrors, []);
  });

  test('the peer closing gives end then close, without error', async () => {
    const [client, server] = await connectedPair();
    const errors = errorsOf(client);
    const got = collect(client);
    server.write('before close');
    server.destroy();
    assert.deepEqual((await got).map(String), ['before close']);
    await closed(client);
    assert.deepEqual(errors, []);
  });

  test('a peer that closes with our packets unread still delivers what it sent', async () => {
    const [client, server] = await connectedPair();
    const errors = errorsOf(client);
    server.pause();
    await write(client, 'never read');
    await write(server, 'goodbye');
    server.destroy();
    await closed(server);
    const got = collect(client);
    assert.deepEqual((await got).map(String), ['goodbye']);
    await closed(client);
    assert.deepEqual(errors, []);
  });

  test('writing to a vanished peer fails with EPIPE, not SIGPIPE', async () => {
    const [fa, fb] = seqpacketPair();
    const a = SeqpacketSocket.fromFd(fa, { allowHalfOpen: true });
    const b = SeqpacketSocket.fromFd(fb);
    b.destroy();
    await closed(b);
    a.write('into the void');
    const [err] = (await once(a, 'error')) as [Error];
    assert.ok(isSystemError(err) && ['EPIPE', 'ECONNRESET'].includes(err.code), String(err));
    await closed(a);
  });

  test('destroy closes the fd exactly when close is emitted', async () => {
    const [fa, fb] = seqpacketPair();
    const a = SeqpacketSocket.fromFd(fa);
    const target = fdTarget(fa);
    assert.match(target!, /^socket:/);
    a.resume();
    a.destroy();
    assert.equal(fdTarget(fa), target, 'still open until the watcher has closed');
    await closed(a);
    assert.notEqual(fdTarget(fa), target);
    closeSync(fb);
  });

  test('destroy during a pending read emits close and no error', async () => {
    const [client, server] = await connectedPair();
    const errors = errorsOf(client);
    client.on('data', () => assert.fail('no data was sent'));
    await sleep(10); // the read is pending in the event loop now
    client.destroy();
    await closed(client);
    assert.deepEqual(errors, []);
    server.destroy();
  });

  test('destroy during a pending write fails that write but emits no error', async () => {
    const [fa, fb] = seqpacketPair();
    const a = SeqpacketSocket.fromFd(fa);
    const b = SeqpacketSocket.fromFd(fb);
    b.pause();
    const errors = errorsOf(a);
    const result = new Promise<Error | null | undefined>((resolve) => a.write(Buffer.alloc(1 << 22), resolve));
    await sleep(20);
    a.destroy();
    const err = await result;
    assert.equal((err as { code?: string } | null | undefined)?.code, 'ERR_STREAM_DESTROYED');
    await closed(a);
    await sleep(10);
    assert.deepEqual(errors, []);
    b.destroy();
  });

  test('closing in any order and any number of times is safe', async () => {
    const cases: Array<(s: SeqpacketSocket) => void> = [
      (s) => (s.destroy(), s.destroy()),
      (s) => (s.end(), s.destroy(), s.end()),
      (s) => (s.destroy(), s.end(), s.destroy(new Error('late'))),
      (s) => (s.destroy(new Error('first')), s.destroy(new Error('second'))),
      (s) => (s.write('x'), s.end(), s.end(), s.destroy()),
    ];
    for (const run of cases) {
      const [fa, fb] = seqpacketPair();
      const target = fdTarget(fa);
      const s = SeqpacketSocket.fromFd(fa);
      const closes: number[] = [];
      s.on('close', () => closes.push(1));
      s.on('error', () => {});
      run(s);
      await closed(s);
      await sleep(10);
      assert.equal(closes.length, 1);
      assert.notEqual(fdTarget(fa), target, 'the socket fd is closed');
      closeSync(fb);
    }
  });

  test('closing after the peer vanished mid-write is safe', async () => {
    const [fa, fb] = seqpacketPair();
    const a = SeqpacketSocket.fromFd(fa);
    a.on('error', () => {});
    a.write(Buffer.alloc(1 << 22));
    await sleep(10);
    closeSync(fb);
    a.destroy();
    a.destroy();
    await closed(a);
  });

  test('a socket dropped without being closed is closed when collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const [fa, fb] = seqpacketPair();
    const target = fdTarget(fa);
    (() => {
      SeqpacketSocket.fromFd(fa);
    })();
    for (let i = 0; i < 20 && fdTarget(fa) === target; i++) {
      gc();
      await sleep(10);
    }
    assert.notEqual(fdTarget(fa), target);
    closeSync(fb);
  });

  test('a worker that exits with sockets open shuts down cleanly', async () => {
    const url = new URL('./index.js', import.meta.url).href;
    const testing = new URL('./testing.js', import.meta.url).href;
    const worker = new Worker(
      `(async () => {
        const { SeqpacketSocket } = await import(${JSON.stringify(url)});
        const { seqpacketPair } = await import(${JSON.stringify(testing)});
        const [a, b] = seqpacketPair().map((fd) => SeqpacketSocket.fromFd(fd));
        a.resume();
        b.write(Buffer.alloc(1 << 22));
        require('worker_threads').parentPort.postMessage('open');
      })();`,
      { eval: true },
    );
    const [msg] = await once(worker, 'message');
    assert.equal(msg, 'open');
    assert.equal(await worker.terminate(), 1);
  });

  test('a process exits cleanly with sockets open, by process.exit or by running out of work', () => {
    const url = new URL('./index.js', import.meta.url).href;
    const testing = new URL('./testing.js', import.meta.url).href;
    const run = (tail: string) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { SeqpacketSocket } = await import(${JSON.stringify(url)});
           const { seqpacketPair } = await import(${JSON.stringify(testing)});
           const [a, b] = seqpacketPair().map((fd) => SeqpacketSocket.fromFd(fd));
           ${tail}`,
        ],
        { encoding: 'utf8', timeout: 10_000 },
      );
    // Reading keeps the loop alive, as a net.Socket does; process.exit tears it down.
    const exited = run(`a.resume(); b.write(Buffer.alloc(1 << 22)); setTimeout(() => process.exit(3), 20);`);
    assert.deepEqual([exited.status, exited.signal, exited.stderr], [3, null, '']);
    // Idle sockets do not keep the process alive; the environment closes them on the way out.
    const idle = run(`b.write('x'); a.pause();`);
    assert.deepEqual([idle.status, idle.signal, idle.stderr], [0, null, '']);
  });
});
