/** The fields `images --format` offers (docker's formatter.imageContext), and their headers. */
import type { ImageSummary } from '../../api/client/index.js';
import { toGoJsonEscaped, type GoStruct } from '../template/index.js';
import { familiarName, parseReference } from './reference.js';
import { goTimeString, humanDuration, humanSize, truncateId } from './units.js';

export const defaultImageTable = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
export const defaultImageTableWithDigest = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

export const imageHeaders: Readonly<Record<string, string>> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export function imageFormat(format: string, quiet: boolean, digests: boolean): string {
  if (format === '' || format === 'table') {
    if (quiet) return '{{.ID}}';
    return digests ? defaultImageTableWithDigest : defaultImageTable;
  }
  if (format === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digests
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  return format;
}

export class ImageContext implements GoStruct {
  readonly goTypeName = '*formatter.imageContext';

  constructor(
    private readonly i: ImageSummary,
    private readonly repo: string,
    private readonly tag: string,
    private readonly digest: string,
    private readonly trunc: boolean,
    private readonly now: number = Date.now(),
  ) {}

  ID(): string {
    return this.trunc ? truncateId(this.i.Id) : this.i.Id;
  }

  Repository(): string {
    return this.repo;
  }

  Tag(): string {
    return this.tag;
  }

  Digest(): string {
    return this.digest;
  }

  CreatedSince(): string {
    return `${humanDuration(this.now - this.i.Created * 1000)} ago`;
  }

  CreatedAt(): string {
    return goTimeString(this.i.Created);
  }

  Size(): string {
    return humanSize(this.i.Size);
  }

  Containers(): string {
    return this.i.Containers === -1 ? 'N/A' : String(this.i.Containers);
  }

  VirtualSize(): string {
    return humanSize(this.i.VirtualSize ?? this.i.Size, 4);
  }

  SharedSize(): string {
    return this.i.SharedSize === -1 ? 'N/A' : humanSize(this.i.SharedSize, 4);
  }

  UniqueSize(): string {
    const v = this.i.VirtualSize ?? this.i.Size;
    if (v === -1 || this.i.SharedSize === -1) return 'N/A';
    return humanSize(v - this.i.SharedSize, 4);
  }

  goJSON(): string {
    return toGoJsonEscaped({
      Containers: this.Containers(),
      CreatedAt: this.CreatedAt(),
      CreatedSince: this.CreatedSince(),
      Digest: this.Digest(),
      ID: this.ID(),
      Repository: this.Repository(),
      SharedSize: this.SharedSize(),
      Size: this.Size(),
      Tag: this.Tag(),
      UniqueSize: this.UniqueSize(),
      VirtualSize: this.VirtualSize(),
    });
  }
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

/** One row per repository:tag (and per digest with --digests), as docker lays images out. */
export function imageRows(images: readonly ImageSummary[], opts: { trunc: boolean; digests: boolean; format?: string; now?: number }): ImageContext[] {
  // Tagged rows show digests when asked for or when the template prints them (docker's needDigest).
  const needDigest = opts.digests || (opts.format ?? '').includes('{{.Digest}}');
  const now = opts.now ?? Date.now();
  const rows: ImageContext[] = [];
  for (const img of images) {
    const add = (repo: string, tag: string, digest: string) => rows.push(new ImageContext(img, repo, tag, digest, opts.trunc, now));
    if (isDangling(img)) {
      add('<none>', '<none>', '<none>');
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const r of img.RepoTags ?? []) {
      const p = parseReference(r);
      if (!p || !p.tag) continue;
      const name = familiarName(p.name);
      repoTags.set(name, [...(repoTags.get(name) ?? []), p.tag]);
    }
    for (const r of img.RepoDigests ?? []) {
      const p = parseReference(r);
      if (!p || !p.digest) continue;
      const name = familiarName(p.name);
      repoDigests.set(name, [...(repoDigests.get(name) ?? []), p.digest]);
    }
    for (const [repo, tags] of repoTags) {
      let digests = repoDigests.get(repo) ?? [];
      repoDigests.delete(repo);
      if (!needDigest) digests = [];
      for (const tag of tags) {
        if (digests.length === 0) add(repo, tag, '<none>');
        else for (const d of digests) add(repo, tag, d);
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digests) for (const d of digests) add(repo, '<none>', d);
      else add(repo, '<none>', '');
    }
  }
  return rows;
}
