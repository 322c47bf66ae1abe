/**
 * `docker image prune`: removes dangling images (no tag), or with `dangling=false` (`-a`) every
 * image no container uses, narrowed by `until` and `label`/`label!` filters, as Docker's
 * ImagesPrune does. Each removal goes through `docker rmi`'s rules (ImageService.remove), so the
 * same `untag`/`delete` events are published; one `prune` event with the bytes reclaimed ends it.
 *
 * One difference from Docker's code, in line with the promise its `-a` warning makes ("remove
 * all images without at least one container associated to them"): an image a container uses is
 * left alone entirely, where Docker would strip all but its last tag.
 */
import type { ImageRecord, ImageStore } from '../../images/index.js';
import { chainIds } from '../../images/index.js';
import { ConflictError, InvalidArgumentError, errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { parseReference } from '../../util/reference.js';
import { parseRfc3339Ns, parseTimeFilter } from '../../util/time.js';
import type { EventBus } from '../events.js';
import type { ContainerStore } from '../container-store.js';
import type { DeleteResult, ImageService } from './image-service.js';

export interface PruneFilters {
  readonly danglingOnly: boolean;
  /** Nanoseconds since the epoch; images created after it are kept. */
  readonly until: bigint | null;
  readonly labels: readonly string[];
  readonly notLabels: readonly string[];
}

export interface PruneReport {
  ImagesDeleted: DeleteResult | null;
  SpaceReclaimed: number;
}

const accepted = new Set(['dangling', 'label', 'label!', 'until']);

function invalidFilter(key: string, values: readonly string[]): InvalidArgumentError {
  return new InvalidArgumentError(`invalid filter '${key}=${values.join(',')}'`);
}

/** Docker's filters.Args for prune: validated keys, `dangling` as GetBoolOrDefault reads it. */
export function parsePruneFilters(f: Readonly<Record<string, readonly string[]>>, now?: bigint): PruneFilters {
  for (const k of Object.keys(f)) if (!accepted.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  let danglingOnly = true;
  const d = f.dangling;
  if (d && d.length > 0) {
    const isTrue = d.some((v) => ['1', 'true', 'True', 'TRUE'].includes(v));
    const isFalse = d.some((v) => ['0', 'false', 'False', 'FALSE'].includes(v));
    if (new Set(d).size !== 1 || isTrue === isFalse) throw invalidFilter('dangling', d);
    danglingOnly = isTrue;
  }
  let until: bigint | null = null;
  const u = f.until;
  if (u && u.length > 0) {
    if (u.length > 1) throw new InvalidArgumentError('more than one until filter specified');
    until = parseTimeFilter(u[0]!, now);
    if (until === null) throw new InvalidArgumentError(`invalid value for 'until' filter: failed to parse value as time or duration: ${JSON.stringify(u[0])}`);
  }
  return { danglingOnly, until, labels: f.label ?? [], notLabels: f['label!'] ?? [] };
}

/** filters.Args.MatchKVList: every `key` exists and every `key=value` holds. */
function matchKV(conditions: readonly string[], labels: Readonly<Record<string, string>>): boolean {
  return conditions.every((c) => {
    const eq = c.indexOf('=');
    return eq < 0 ? c in labels : labels[c.slice(0, eq)] === c.slice(eq + 1);
  });
}

/** Docker's matchLabels: all `label` conditions hold, and not all `label!` ones do. */
export function labelsMatch(f: PruneFilters, labels: Readonly<Record<string, string>>): boolean {
  if (!matchKV(f.labels, labels)) return false;
  if (f.notLabels.length > 0 && matchKV(f.notLabels, labels)) return false;
  return true;
}

export interface ImagePrunerDeps {
  readonly images: ImageService;
  readonly store: ImageStore;
  readonly containers: ContainerStore;
  readonly events: EventBus;
  readonly log: Logger;
}

export class ImagePruner {
  private running = false;

  constructor(private readonly deps: ImagePrunerDeps) {}

  async prune(raw: Readonly<Record<string, readonly string[]>>): Promise<PruneReport> {
    if (this.running) throw new ConflictError('a prune operation is already running');
    this.running = true;
    try {
      return await this.run(parsePruneFilters(raw));
    } finally {
      this.running = false;
    }
  }

  private async run(f: PruneFilters): Promise<PruneReport> {
    const { store, images, containers, events, log } = this.deps;
    const all = store.list();
    const used = new Set(containers.all().map((c) => c.Image as string));
    const layerSize = new Map<string, number>();
    for (const img of all) chainIds(img.layers.map((l) => l.diffId)).forEach((c, i) => layerSize.has(c) || layerSize.set(c, img.layers[i]!.size));

    const deleted: DeleteResult = [];
    for (const img of all.filter((i) => this.isCandidate(i, f))) {
      if (used.has(img.id)) continue;
      const refs = store.refsOf(img.id);
      if (f.danglingOnly && refs.some((r) => parseReference(r).tag !== undefined)) continue;
      for (const ref of refs.length ? refs : [img.id.slice(7)]) {
        try {
          deleted.push(...(await images.remove(ref, { noPrune: true })));
        } catch (err) {
          // As Docker: an image that cannot go (in use, gone meanwhile) is skipped, not an error.
          if (!(err instanceof ConflictError)) log.warn('failed to prune image', { ref, err: errorMessage(err) });
        }
      }
    }

    // Reclaimed: the layers of removed images no remaining image stands on.
    const remaining = new Set(store.list().flatMap((i) => chainIds(i.layers.map((l) => l.diffId))));
    let reclaimed = 0;
    const counted = new Set<string>();
    for (const img of all) {
      if (!deleted.some((d) => 'Deleted' in d && d.Deleted === img.id)) continue;
      for (const c of chainIds(img.layers.map((l) => l.diffId))) {
        if (remaining.has(c) || counted.has(c)) continue;
        counted.add(c);
        reclaimed += layerSize.get(c) ?? 0;
      }
    }
    if (deleted.length > 0) await images.collectGarbage();
    events.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  private isCandidate(img: ImageRecord, f: PruneFilters): boolean {
    const { store } = this.deps;
    const children = store.children(img.id).length;
    // Dangling-only looks at images without children (Docker's Heads); an untagged parent never goes.
    if (f.danglingOnly && children > 0) return false;
    if (children > 0 && store.refsOf(img.id).length === 0) return false;
    if (f.until !== null) {
      const created = img.config.created ? parseRfc3339Ns(img.config.created) : null;
      if (created === null || created > f.until) return false;
    }
    return labelsMatch(f, img.config.config?.Labels ?? {});
  }
}
