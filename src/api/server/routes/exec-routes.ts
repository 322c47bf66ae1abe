/** `/containers/{id}/exec` and `/exec/...` endpoints. */
import type { Engine, ExecConfig } from '../../../engine/index.js';
import { DetachKeyScanner, parseDetachKeys } from '../../../engine/index.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import type { Router } from '../router.js';
import { streamSink } from './container-routes.js';

export function registerExecRoutes(router: Router, engine: Engine): void {
  router.add('POST', '/containers/{id}/exec', async (ctx) => {
    const cfg = await ctx.json<ExecConfig>();
    if (cfg === null || typeof cfg !== 'object') throw new InvalidArgumentError('exec configuration must be a JSON object');
    if (cfg.DetachKeys) {
      try {
        parseDetachKeys(cfg.DetachKeys);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    }
    ctx.send(201, engine.exec.create(ctx.params.id!, cfg));
  });

  router.add('POST', '/exec/{id}/start', async (ctx) => {
    const body = await ctx.json<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>({});
    const exec = engine.exec.get(ctx.params.id!);
    const tty = body.Tty ?? !!exec.config.Tty;
    const consoleSize = body.ConsoleSize ?? undefined;
    if (body.Detach) {
      await engine.exec.start(exec.id, { detach: true, tty, ...(consoleSize ? { consoleSize } : {}) }, null);
      ctx.noContent(200);
      return;
    }
    // Validate before hijacking so errors still get a normal HTTP status.
    engine.exec.get(exec.id);
    const sock = await ctx.hijack(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const sink = streamSink(
      (b) => (sock.writable ? sock.write(b) : false),
      () => {
        if (!sock.destroyed) sock.end();
      },
      tty,
    );
    let streams;
    try {
      streams = await engine.exec.start(exec.id, { detach: false, tty, ...(consoleSize ? { consoleSize } : {}) }, sink);
    } catch (err) {
      // Already hijacked: Docker writes the error into the stream.
      sink.write('stdout', Buffer.from(`${(err as Error).message}\r\n`));
      sink.end();
      return;
    }
    if (!streams) {
      sink.end();
      return;
    }
    const keys = exec.config.DetachKeys ? parseDetachKeys(exec.config.DetachKeys) : parseDetachKeys('ctrl-p,ctrl-q');
    const scanner = new DetachKeyScanner(tty ? keys : []);
    const s = streams;
    sock.on('data', (chunk: Buffer) => {
      if (!s.stdin) return;
      const { forward, detach } = scanner.feed(chunk);
      if (forward.length) s.stdin.write(forward);
      if (detach) {
        s.close();
        sock.end();
      }
    });
    sock.on('end', () => s.stdin?.end());
    sock.on('close', () => s.close());
    sock.on('error', () => s.close());
    await s.done;
    if (!sock.destroyed) sock.end();
  });

  router.add('POST', '/exec/{id}/resize', (ctx) => {
    engine.exec.resize(ctx.params.id!, ctx.int('h', 0), ctx.int('w', 0));
    ctx.noContent(200);
  });

  router.add('GET', '/exec/{id}/json', (ctx) => {
    ctx.send(200, engine.exec.inspect(ctx.params.id!));
  });
}
