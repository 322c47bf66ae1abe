/** `/containers/...` endpoints. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Engine } from '../../../engine/index.js';
import type { ContainerRecord, OutputSink, WaitCondition } from '../../../engine/index.js';
import { DetachKeyScanner, parseDetachKeys } from '../../../engine/index.js';
import { InvalidArgumentError, ConflictError } from '../../../util/errors.js';
import { parseTimeFilter } from '../../../util/time.js';
import type { Router } from '../router.js';
import type { RequestContext } from '../context.js';
import { frame } from '../stream-framing.js';
import { containerInspect, containerSummary } from '../views/container-view.js';
import { containerFilter } from '../filters/container-filter.js';

const pexecFile = promisify(execFile);

/** Writes container output to a client: multiplexed frames without a TTY, raw bytes with one. */
export function streamSink(write: (b: Buffer) => boolean | void, end: () => void, tty: boolean): OutputSink {
  return {
    write: (stream, data) => {
      if (data.length === 0) return;
      write(tty ? data : frame(stream, data));
    },
    end,
  };
}

export function registerContainerRoutes(router: Router, engine: Engine): void {
  const containers = engine.containers;

  router.add('GET', '/containers/json', (ctx) => {
    const all = ctx.bool('all');
    const limit = ctx.int('limit', -1);
    const latest = ctx.bool('latest');
    const filter = containerFilter(ctx.filters(), engine);
    let list = containers.store.all().filter((c) => (all || limit > 0 || latest || c.State.Running || hasStatusFilter(ctx)) && filter(c));
    if (latest) list = list.slice(0, 1);
    if (limit > 0) list = list.slice(0, limit);
    ctx.send(
      200,
      list.map((c) => {
        const s = containerSummary(c, { imageName: engine.images.displayName(c.Config.Image ?? '', c.Image) });
        return s;
      }),
    );
  });

  router.add('POST', '/containers/create', async (ctx) => {
    const body = await ctx.json<Record<string, unknown>>();
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('config cannot be empty in order to create a container');
    const name = ctx.query.get('name') ?? undefined;
    const r = await containers.create(body, name);
    ctx.send(201, r);
  });

  router.add('GET', '/containers/{id}/json', async (ctx) => {
    const rec = containers.store.resolve(ctx.params.id!);
    const sizeRw = ctx.bool('size') ? await engine.sizeRw(rec) : undefined;
    ctx.send(
      200,
      containerInspect(rec, {
        execIds: engine.exec.idsFor(rec.Id),
        graphDriver: engine.graphDriverData(rec),
        ...(sizeRw !== undefined ? { sizeRw } : {}),
      }),
    );
  });

  router.add('POST', '/containers/{id}/start', async (ctx) => {
    const started = await containers.start(ctx.params.id!);
    ctx.noContent(started ? 204 : 304);
  });

  router.add('POST', '/containers/{id}/stop', async (ctx) => {
    const t = ctx.query.get('t');
    const stopped = await containers.stop(ctx.params.id!, {
      ...(ctx.query.get('signal') ? { signal: ctx.query.get('signal')! } : {}),
      ...(t !== null && t !== '' ? { timeoutSec: ctx.int('t', 10) } : {}),
    });
    ctx.noContent(stopped ? 204 : 304);
  });

  router.add('POST', '/containers/{id}/restart', async (ctx) => {
    const t = ctx.query.get('t');
    await containers.restart(ctx.params.id!, {
      ...(ctx.query.get('signal') ? { signal: ctx.query.get('signal')! } : {}),
      ...(t !== null && t !== '' ? { timeoutSec: ctx.int('t', 10) } : {}),
    });
    ctx.noContent();
  });

  router.add('POST', '/containers/{id}/kill', async (ctx) => {
    await containers.kill(ctx.params.id!, ctx.query.get('signal') ?? undefined);
    ctx.noContent();
  });

  router.add('POST', '/containers/{id}/pause', async (ctx) => {
    await containers.pause(ctx.params.id!);
    ctx.noContent();
  });

  router.add('POST', '/containers/{id}/unpause', async (ctx) => {
    await containers.unpause(ctx.params.id!);
    ctx.noContent();
  });

  router.add('POST', '/containers/{id}/rename', async (ctx) => {
    await containers.rename(ctx.params.id!, ctx.query.get('name') ?? '');
    ctx.noContent();
  });

  router.add('POST', '/containers/{id}/wait', async (ctx) => {
    const cond = (ctx.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw new InvalidArgumentError(`invalid condition: "${cond}"`);
    const result = containers.wait(ctx.params.id!, cond);
    // Headers go out once the wait is registered, so the client may start the container now.
    const res = ctx.stream('application/json');
    let gone = false;
    res.on('close', () => (gone = true));
    const r = await result;
    if (!gone) res.end(JSON.stringify({ Error: r.Error ?? null, StatusCode: r.StatusCode }) + '\n');
  });

  router.add('DELETE', '/containers/{id}', async (ctx) => {
    if (ctx.bool('link')) throw new ConflictError('Conflict, cannot remove the default link name of the container');
    await containers.remove(ctx.params.id!, { force: ctx.bool('force'), volumes: ctx.bool('v') });
    engine.exec.forgetContainer(ctx.params.id!);
    ctx.noContent();
  });

  router.add('POST', '/containers/prune', async (ctx) => {
    const f = ctx.filters();
    for (const k of Object.keys(f)) if (k !== 'until' && k !== 'label' && k !== 'label!') throw new InvalidArgumentError(`invalid filter '${k}'`);
    const until = f.until?.[0] !== undefined ? parseTimeFilter(f.until[0]) : null;
    if (f.until?.length && until === null) throw new InvalidArgumentError(`invalid filter 'until=${f.until[0]}'`);
    const match = containerFilter({ ...(f.label ? { label: f.label } : {}), ...(f['label!'] ? { 'label!': f['label!'] } : {}) }, engine);
    const r = await containers.prune((c) => match(c) && (until === null || createdNs(c) < until));
    ctx.send(200, r);
  });

  router.add('POST', '/containers/{id}/resize', (ctx) => {
    containers.resize(ctx.params.id!, ctx.int('h', 0), ctx.int('w', 0));
    ctx.noContent(200);
  });

  router.add('GET', '/containers/{id}/top', async (ctx) => {
    const pids = await containers.top(ctx.params.id!);
    const psArgs = (ctx.query.get('ps_args') || '-ef').split(/\s+/).filter(Boolean);
    ctx.send(200, await psTable(psArgs, pids));
  });

  router.add('GET', '/containers/{id}/logs', async (ctx) => {
    const rec = containers.store.resolve(ctx.params.id!);
    const stdout = ctx.bool('stdout');
    const stderr = ctx.bool('stderr');
    if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
    const since = ctx.query.get('since');
    const until = ctx.query.get('until');
    const sinceNs = since && since !== '0' ? parseTimeFilter(since) : null;
    const untilNs = until && until !== '0' ? parseTimeFilter(until) : null;
    if (since && since !== '0' && sinceNs === null) throw new InvalidArgumentError(`invalid value for "since": ${since}`);
    if (until && until !== '0' && untilNs === null) throw new InvalidArgumentError(`invalid value for "until": ${until}`);
    const tailRaw = ctx.query.get('tail');
    const tail = !tailRaw || tailRaw === 'all' ? undefined : Number(tailRaw);
    if (tail !== undefined && (!Number.isInteger(tail))) throw new InvalidArgumentError(`invalid value for "tail": ${tailRaw}`);
    const timestamps = ctx.bool('timestamps');
    const tty = !!rec.Config.Tty;
    const res = ctx.stream(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const sink = streamSink((b) => res.write(b), () => res.end(), tty);
    await containers.logs(
      rec.Id,
      {
        stdout,
        stderr,
        follow: ctx.bool('follow'),
        ...(sinceNs !== null ? { sinceNs } : {}),
        ...(untilNs !== null ? { untilNs } : {}),
        ...(tail !== undefined && tail >= 0 ? { tail } : {}),
        timestamps,
        signal: abort.signal,
      },
      sink,
    );
  });

  const attach = async (ctx: RequestContext) => {
    const rec = containers.store.resolve(ctx.params.id!);
    const tty = !!rec.Config.Tty;
    const detachKeys = parseDetachKeysOrThrow(ctx.query.get('detachKeys') ?? 'ctrl-p,ctrl-q');
    const wantStdin = ctx.bool('stdin');
    const req = {
      stdin: wantStdin,
      stdout: ctx.bool('stdout'),
      stderr: ctx.bool('stderr'),
      logs: ctx.bool('logs'),
      stream: ctx.bool('stream'),
    };
    const sock = await ctx.hijack(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const sink = streamSink(
      (b) => (sock.writable ? sock.write(b) : false),
      () => {
        if (!sock.destroyed) sock.end();
      },
      tty,
    );
    const session = await containers.attach(rec.Id, req, sink);
    const scanner = new DetachKeyScanner(tty ? detachKeys : []);
    sock.on('data', (chunk: Buffer) => {
      if (!session.stdin) return;
      const { forward, detach } = scanner.feed(chunk);
      if (forward.length) session.stdin.write(forward);
      if (detach) {
        session.close();
        sock.end();
      }
    });
    sock.on('end', () => session.stdin?.end());
    sock.on('error', () => session.close());
    sock.on('close', () => {
      // A client that goes away detaches; the container keeps running.
      if (!tty) session.stdin?.end();
      session.close();
    });
    await session.done;
  };
  router.add('POST', '/containers/{id}/attach', attach);

  router.add('GET', '/containers/{id}/attach/ws', () => {
    throw new InvalidArgumentError('websocket attach is not supported; use POST /containers/{id}/attach');
  });
}

function hasStatusFilter(ctx: RequestContext): boolean {
  const f = ctx.filters();
  return !!(f.status?.length || f.exited?.length);
}

function createdNs(c: ContainerRecord): bigint {
  return parseTimeFilter(c.Created) ?? 0n;
}

function parseDetachKeysOrThrow(spec: string): number[] {
  try {
    return parseDetachKeys(spec);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Runs the host's `ps` and keeps the rows of the container's processes, as Docker does. */
async function psTable(args: string[], pids: number[]): Promise<{ Titles: string[]; Processes: string[][] }> {
  let stdout: string;
  try {
    ({ stdout } = await pexecFile('ps', args, { maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    throw new InvalidArgumentError(`Error running ps: ${(err as Error).message}`);
  }
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const titles = lines[0]!.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new InvalidArgumentError(`Couldn't find PID field in ps output`);
  const want = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    // The last title (the command) takes the rest of the line.
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    if (want.has(Number(row[pidCol]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}
