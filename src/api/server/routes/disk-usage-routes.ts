/**
 * `GET /system/df` as Docker's system router answers it: images with their shared sizes and
 * container counts, containers with their writable layer sizes, no volumes (Berth has none yet)
 * and an empty build cache. `type=` (API 1.42+) narrows what is computed; the rest is null.
 */
import type { Engine } from '../../../engine/index.js';
import { imageDiskUsage } from '../../../engine/index.js';
import type { Digest } from '../../../util/digest.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { parseRfc3339Ns } from '../../../util/time.js';
import { compareVersions, type Router } from '../router.js';
import { containerSummary } from '../views/container-view.js';

const objectTypes = ['container', 'image', 'volume', 'build-cache'] as const;
type ObjectType = (typeof objectTypes)[number];

export function registerDiskUsageRoutes(router: Router, engine: Engine): void {
  router.add('GET', '/system/df', async (ctx) => {
    const asked = ctx.query.getAll('type');
    let want = new Set<ObjectType>(objectTypes);
    if (compareVersions(ctx.apiVersion, '1.42') >= 0 && asked.length > 0) {
      want = new Set();
      for (const t of asked) {
        if (!(objectTypes as readonly string[]).includes(t)) throw new InvalidArgumentError(`unknown object type: ${t}`);
        want.add(t as ObjectType);
      }
    }
    const body: Record<string, unknown> = { LayersSize: 0, Images: null, Containers: null, Volumes: null, BuildCache: null };
    const containers = engine.containerStore.all();
    if (want.has('image')) {
      const usage = imageDiskUsage({
        images: engine.imageStore.list(),
        hasRefs: (id) => engine.imageStore.refsOf(id as Digest).length > 0,
        hasChildren: (id) => engine.imageStore.children(id as Digest).length > 0,
        containerImages: containers.map((c) => c.Image),
      });
      body.LayersSize = usage.layersSize;
      body.Images = usage.images.map(({ img, size, sharedSize, containers: count }) => {
        const names = engine.images.namesOf(img.id);
        const ns = parseRfc3339Ns(img.config.created ?? img.created);
        return {
          Id: img.id,
          ParentId: img.parent ?? '',
          RepoTags: names.tags,
          RepoDigests: names.digests,
          Created: ns === null ? 0 : Number(ns / 1_000_000_000n),
          Size: size,
          SharedSize: sharedSize,
          ...(compareVersions(ctx.apiVersion, '1.44') < 0 ? { VirtualSize: size } : {}),
          Labels: img.config.config?.Labels ?? {},
          Containers: count,
        };
      });
    }
    if (want.has('container')) {
      const out = [];
      for (const c of containers) {
        const sizeRw = await engine.sizeRw(c);
        const imageSize = engine.imageStore.get(c.Image)?.size ?? 0;
        const s = containerSummary(c, { imageName: engine.images.displayName(c.Config.Image ?? '', c.Image) });
        // Go's omitempty: zero sizes are left out.
        out.push({ ...s, ...(sizeRw ? { SizeRw: sizeRw } : {}), ...(sizeRw + imageSize ? { SizeRootFs: sizeRw + imageSize } : {}) });
      }
      body.Containers = out;
    }
    if (want.has('volume')) body.Volumes = [];
    if (want.has('build-cache')) body.BuildCache = [];
    ctx.send(200, body);
  });
}
