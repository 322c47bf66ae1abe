/** `/images/...` endpoints: list, inspect, tag, remove, import and pull (routes/distribution-routes.ts). */
import type { Engine } from '../../../engine/index.js';
import type { ImageRecord } from '../../../images/index.js';
import { InvalidArgumentError, NotImplementedError } from '../../../util/errors.js';
import { parseRfc3339Ns } from '../../../util/time.js';
import { compareVersions, type Router } from '../router.js';
import { pullImage } from './distribution-routes.js';

function createdSeconds(img: ImageRecord): number {
  const ns = parseRfc3339Ns(img.created);
  return ns === null ? 0 : Number(ns / 1_000_000_000n);
}

export function imageInspect(engine: Engine, img: ImageRecord): Record<string, unknown> {
  const names = engine.images.namesOf(img.id);
  const cfg = img.config.config ?? {};
  return {
    Id: img.id,
    RepoTags: names.tags,
    RepoDigests: names.digests,
    Parent: img.parent ?? '',
    Comment: img.config.comment ?? img.config.history?.[img.config.history.length - 1]?.comment ?? '',
    Created: img.config.created ?? img.created,
    DockerVersion: img.config.docker_version ?? '',
    Author: img.config.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: cfg.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(cfg.ExposedPorts ? { ExposedPorts: cfg.ExposedPorts } : {}),
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: cfg.Env ?? null,
      Cmd: cfg.Cmd ?? null,
      ...(cfg.Healthcheck ? { Healthcheck: cfg.Healthcheck } : {}),
      Image: '',
      Volumes: cfg.Volumes ?? null,
      WorkingDir: cfg.WorkingDir ?? '',
      Entrypoint: cfg.Entrypoint ?? null,
      OnBuild: cfg.OnBuild ?? null,
      Labels: cfg.Labels ?? null,
      ...(cfg.StopSignal ? { StopSignal: cfg.StopSignal } : {}),
    },
    Architecture: img.config.architecture,
    ...(img.config.variant ? { Variant: img.config.variant } : {}),
    Os: img.config.os,
    Size: img.size,
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: { Type: 'layers', Layers: img.config.rootfs.diff_ids },
    Metadata: { LastTagTime: img.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

export function registerImageRoutes(router: Router, engine: Engine): void {
  router.add('GET', '/images/json', (ctx) => {
    const f = ctx.filters();
    for (const k of Object.keys(f)) {
      if (!['dangling', 'label', 'reference', 'before', 'since', 'until'].includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    }
    const all = ctx.bool('all');
    const containersCount = new Map<string, number>();
    for (const c of engine.containerStore.all()) containersCount.set(c.Image, (containersCount.get(c.Image) ?? 0) + 1);
    const out = [];
    for (const img of engine.imageStore.list()) {
      const names = engine.images.namesOf(img.id);
      const dangling = names.tags.length === 0 && names.digests.length === 0;
      if (f.dangling?.length) {
        const want = f.dangling[0] === 'true' || f.dangling[0] === '1';
        if (want !== dangling) continue;
      }
      if (!all && dangling && engine.imageStore.children(img.id).length > 0) continue;
      // With a reference filter Docker lists only the matching names of an image.
      const matches = (name: string) => !f.reference?.length || f.reference.some((r) => globMatch(r, name) || globMatch(r, withoutTag(name)));
      const tags = names.tags.filter(matches);
      const digests = names.digests.filter(matches);
      if (f.reference?.length && tags.length === 0 && digests.length === 0) continue;
      const labels = img.config.config?.Labels ?? {};
      if (f.label?.some((l) => (l.includes('=') ? labels[l.split('=')[0]!] !== l.slice(l.indexOf('=') + 1) : !(l in labels)))) continue;
      if (f.before?.length) {
        const b = engine.imageStore.resolve(f.before[0]!);
        if (createdSeconds(img) >= createdSeconds(b)) continue;
      }
      if (f.since?.length) {
        const s = engine.imageStore.resolve(f.since[0]!);
        if (createdSeconds(img) <= createdSeconds(s)) continue;
      }
      out.push({
        Id: img.id,
        ParentId: img.parent ?? '',
        RepoTags: tags,
        RepoDigests: digests,
        Created: createdSeconds(img),
        Size: img.size,
        SharedSize: -1,
        Labels: labels,
        Containers: containersCount.get(img.id) ?? 0,
        ...(compareVersions(ctx.apiVersion, '1.44') < 0 ? { VirtualSize: img.size } : {}),
      });
    }
    ctx.send(200, out);
  });

  router.add('GET', '/images/{name*}/json', (ctx) => {
    ctx.send(200, imageInspect(engine, engine.imageStore.resolve(ctx.params.name!)));
  });

  router.add('POST', '/images/{name*}/tag', (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw new InvalidArgumentError('repository name must have at least one component');
    engine.images.tag(ctx.params.name!, repo, ctx.query.get('tag') || undefined);
    ctx.noContent(201);
  });

  router.add('DELETE', '/images/{name*}', async (ctx) => {
    ctx.send(200, await engine.images.remove(ctx.params.name!, { force: ctx.bool('force'), noPrune: ctx.bool('noprune') }));
  });

  router.add('POST', '/images/create', async (ctx) => {
    const fromImage = ctx.query.get('fromImage');
    if (fromImage) return pullImage(ctx, engine, fromImage);
    const fromSrc = ctx.query.get('fromSrc');
    if (fromSrc === null) throw new InvalidArgumentError('image name cannot be blank: give fromImage to pull or fromSrc to import');
    if (fromSrc !== '-') throw new NotImplementedError('importing from a URL is not supported; send the archive as the request body (fromSrc=-)');
    const changes = ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== '');
    const repo = ctx.query.get('repo') || undefined;
    const tag = ctx.query.get('tag') || undefined;
    const message = ctx.query.get('message') || undefined;
    const img = await engine.images.importRootfs(ctx.req, {
      ...(repo ? { repo } : {}),
      ...(tag ? { tag } : {}),
      changes,
      ...(message ? { message } : {}),
    });
    // Docker streams JSON progress; the final message carries the new image id.
    const res = ctx.stream('application/json');
    res.end(JSON.stringify({ status: img.id }) + '\r\n');
  });
}

/** `host:5000/app:v1` → `host:5000/app`; `app@sha256:…` → `app`. */
function withoutTag(familiar: string): string {
  const at = familiar.indexOf('@');
  if (at >= 0) return familiar.slice(0, at);
  const colon = familiar.lastIndexOf(':');
  return colon > familiar.lastIndexOf('/') ? familiar.slice(0, colon) : familiar;
}

/** Docker's reference filter: shell-style globs on the familiar name. */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return re.test(value);
}
