/**
 * `system df` as docker's DiskUsageContext prints it: one row per kind of object (images,
 * containers, local volumes, build cache) with the total, the active ones, the size and what
 * pruning would reclaim; with `-v`, a table per kind.
 */
import type { BuildCacheRecord, ContainerSummary, DiskUsage, ImageSummary, VolumeUsage } from '../../api/client/index.js';
import { toGoJsonEscaped, type GoStruct } from '../template/index.js';
import { ContainerContext } from './container-context.js';
import { ImageContext } from './image-context.js';
import { familiarName, parseReference } from './reference.js';
import { humanSize } from './units.js';

export const defaultDiskUsageTable = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
export const rawDiskUsageFormat = 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';
export const diskUsageHeaders: Readonly<Record<string, string>> = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

export const verboseImageTable = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
export const verboseContainerTable = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
export const verboseVolumeTable = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
export const verboseBuildCacheTable = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
export const volumeHeaders: Readonly<Record<string, string>> = { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' };
export const buildCacheHeaders: Readonly<Record<string, string>> = {
  ID: 'CACHE ID',
  CacheType: 'CACHE TYPE',
  Size: 'SIZE',
  CreatedSince: 'CREATED',
  LastUsedSince: 'LAST USED',
  UsageCount: 'USAGE',
  Shared: 'SHARED',
};

/** "1.2MB (50%)" when there is a total, else just the size. */
function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable, 4)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable, 4);
}

export class DiskUsageRow implements GoStruct {
  constructor(
    readonly goTypeName: string,
    private readonly type: string,
    private readonly total: number,
    private readonly active: number,
    private readonly size: string,
    private readonly reclaimable: string,
  ) {}

  Type(): string {
    return this.type;
  }

  TotalCount(): string {
    return String(this.total);
  }

  Active(): string {
    return String(this.active);
  }

  Size(): string {
    return this.size;
  }

  Reclaimable(): string {
    return this.reclaimable;
  }

  goJSON(): string {
    return toGoJsonEscaped({ Active: this.Active(), Reclaimable: this.Reclaimable(), Size: this.Size(), TotalCount: this.TotalCount(), Type: this.Type() });
  }
}

const activeStates = new Set(['running', 'paused', 'restarting']);

/** The build cache bytes docker counts: records not shared with others. */
export function builderSize(cache: readonly BuildCacheRecord[]): number {
  return cache.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
}

/** The four summary rows, computed as docker's formatter computes them. */
export function diskUsageRows(du: DiskUsage): DiskUsageRow[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];

  let used = 0;
  for (const i of images) if (i.Containers !== 0 && i.Size !== -1 && i.SharedSize !== -1) used += i.Size - i.SharedSize;
  const imageRow = new DiskUsageRow(
    '*formatter.diskUsageImagesContext',
    'Images',
    images.length,
    images.filter((i) => i.Containers > 0).length,
    humanSize(du.LayersSize, 4),
    withPercent(du.LayersSize - used, du.LayersSize),
  );

  const ctrSize = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const ctrReclaim = containers.filter((c) => !activeStates.has(c.State)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const containerRow = new DiskUsageRow(
    '*formatter.diskUsageContainersContext',
    'Containers',
    containers.length,
    containers.filter((c) => activeStates.has(c.State)).length,
    humanSize(ctrSize, 4),
    withPercent(ctrReclaim, ctrSize),
  );

  const sized = volumes.filter((v) => (v.UsageData?.Size ?? -1) !== -1);
  const volSize = sized.reduce((n, v) => n + v.UsageData!.Size, 0);
  const volReclaim = sized.filter((v) => v.UsageData!.RefCount === 0).reduce((n, v) => n + v.UsageData!.Size, 0);
  const volumeRow = new DiskUsageRow(
    '*formatter.diskUsageVolumesContext',
    'Local Volumes',
    volumes.length,
    volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length,
    humanSize(volSize, 4),
    withPercent(volReclaim, volSize),
  );

  const bsz = builderSize(cache);
  const inUse = cache.filter((b) => b.InUse && !b.Shared).reduce((n, b) => n + b.Size, 0);
  const cacheRow = new DiskUsageRow('*formatter.diskUsageBuilderContext', 'Build Cache', cache.length, cache.filter((b) => b.InUse).length, humanSize(bsz, 4), humanSize(bsz - inUse, 4));
  return [imageRow, containerRow, volumeRow, cacheRow];
}

function isDangling(i: ImageSummary): boolean {
  const tags = i.RepoTags ?? [];
  const digests = i.RepoDigests ?? [];
  return (tags.length === 0 && digests.length === 0) || (tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>');
}

/** Verbose image rows: the first tag only, as docker shows them. */
export function verboseImageRows(images: readonly ImageSummary[], trunc: boolean, now: number): ImageContext[] {
  const out: ImageContext[] = [];
  for (const i of images) {
    let repo = '<none>';
    let tag = '<none>';
    const first = i.RepoTags?.[0];
    if (first !== undefined && !isDangling(i)) {
      const ref = parseReference(first);
      if (!ref) continue;
      if (ref.tag) {
        repo = familiarName(ref.name);
        tag = ref.tag;
      }
    }
    out.push(new ImageContext(i, repo, tag, '', trunc, now));
  }
  return out;
}

/** Verbose container rows: the writable layer's size only (docker drops the virtual size here). */
export function verboseContainerRows(containers: readonly ContainerSummary[], trunc: boolean, now: number): ContainerContext[] {
  return containers.map((c) => new ContainerContext({ ...c, SizeRootFs: 0 }, trunc, now));
}

/** A local volume's row. */
export class VolumeRow implements GoStruct {
  readonly goTypeName = '*formatter.volumeContext';

  constructor(private readonly v: VolumeUsage) {}

  Name(): string {
    return this.v.Name;
  }

  Driver(): string {
    return this.v.Driver ?? '';
  }

  Links(): string {
    const n = this.v.UsageData?.RefCount ?? -1;
    return n === -1 ? 'N/A' : String(n);
  }

  Size(): string {
    const s = this.v.UsageData?.Size ?? -1;
    return s === -1 ? 'N/A' : humanSize(s, 4);
  }

  goJSON(): string {
    return toGoJsonEscaped({ Driver: this.Driver(), Links: this.Links(), Name: this.Name(), Size: this.Size() });
  }
}

/** The object `system df -v --format TEMPLATE` runs against. */
export class VerboseDiskUsage implements GoStruct {
  readonly goTypeName = '*formatter.diskUsageContext';

  constructor(
    readonly Images: ImageContext[],
    readonly Containers: ContainerContext[],
    readonly Volumes: VolumeRow[],
    /** Berth has no build cache: always empty. */
    readonly BuildCache: never[],
  ) {}

  goJSON(): string {
    const each = (xs: readonly { goJSON(): string }[]) => `[${xs.map((x) => x.goJSON()).join(',')}]`;
    return `{"Images":${each(this.Images)},"Containers":${each(this.Containers)},"Volumes":${each(this.Volumes)},"BuildCache":[]}`;
  }
}
