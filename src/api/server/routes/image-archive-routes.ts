/**
 * `GET /images/get`, `GET /images/{name}/get` (save), `POST /images/load`,
 * `GET /images/{name}/history` and `POST /images/prune`, answered as Docker's image router
 * answers them. `format=oci` on the save routes is Berth's own addition (Docker has no way to
 * ask for a plain OCI image layout); without it the archive is in the `docker save` format.
 */
import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { Engine, LoadProgress } from '../../../engine/index.js';
import { imageHistory } from '../../../engine/index.js';
import type { Digest } from '../../../util/digest.js';
import { humanSize } from '../../../util/human-units.js';
import { InvalidArgumentError, errorMessage } from '../../../util/errors.js';
import type { RequestContext } from '../context.js';
import type { Router } from '../router.js';

/** Docker's streamformatter ends every JSON message with CRLF. */
function jsonLine(m: unknown): string {
  return JSON.stringify(m) + '\r\n';
}

/** JSONProgress.String() for a terminal-less reader: a 50-column bar and the sizes. */
export function progressBar(current: number, total: number): string {
  const half = total > 0 ? Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2)) : 0;
  return `[${'='.repeat(half)}>${' '.repeat(Math.max(0, 50 - half))}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

export function loadProgressMessage(p: LoadProgress): Record<string, unknown> {
  return { status: 'Loading layer', progressDetail: { current: p.current, total: p.total }, progress: progressBar(p.current, p.total), id: p.id };
}

async function save(ctx: RequestContext, engine: Engine, names: string[]): Promise<void> {
  const format = ctx.query.get('format') || 'docker';
  if (format !== 'docker' && format !== 'oci') throw new InvalidArgumentError(`invalid format ${JSON.stringify(format)}: use "docker" or "oci"`);
  const { stream } = await engine.archives.save(names, format);
  const res = ctx.stream('application/x-tar');
  stream.on('error', (err) => {
    // The tar is cut short: the client sees a truncated body, never a tar that looks whole.
    ctx.log.warn('save failed while streaming', { err: errorMessage(err) });
    res.destroy(err);
  });
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

export function registerImageArchiveRoutes(router: Router, engine: Engine): void {
  router.add('GET', '/images/get', (ctx) => save(ctx, engine, ctx.query.getAll('names').filter((n) => n !== '')));
  router.add('GET', '/images/{name*}/get', (ctx) => save(ctx, engine, [ctx.params.name!]));

  router.add('POST', '/images/load', async (ctx) => {
    const quiet = ctx.bool('quiet', true);
    let res: ServerResponse | null = null;
    const write = (m: unknown) => (res ??= ctx.stream('application/json')).write(jsonLine(m));
    // Read through a pass-through: a refused archive must not destroy the socket the answer goes back on.
    const body = new PassThrough();
    ctx.req.pipe(body);
    ctx.req.on('error', (err) => body.destroy(err));
    try {
      const r = await engine.archives.load(body, quiet ? {} : { onProgress: (p) => write(loadProgressMessage(p)) });
      for (const line of r.lines) write({ stream: `${line}\n` });
    } catch (err) {
      // As Docker: the status is already 200; the error is the stream's last message.
      ctx.req.unpipe(body);
      ctx.req.resume();
      const message = errorMessage(err);
      ctx.log.info('load refused', { err: message });
      write({ errorDetail: { message }, error: message });
    }
    (res ?? ctx.stream('application/json')).end();
  });

  router.add('GET', '/images/{name*}/history', (ctx) => {
    const img = engine.imageStore.resolve(ctx.params.name!);
    const history = imageHistory(img, {
      get: (id) => engine.imageStore.get(id as Digest),
      tagsOf: (id) => engine.images.namesOf(id as Digest).tags,
    });
    ctx.send(200, history);
  });

  router.add('POST', '/images/prune', async (ctx) => {
    ctx.send(200, await engine.imagePruner.prune(ctx.filters()));
  });
}
