/** The fields `ps --format` offers (docker's formatter.ContainerContext), and their headers. */
import type { ContainerSummary, Port } from '../../api/client/index.js';
import { goQuote, toGoJsonEscaped, type GoStruct } from '../template/index.js';
import { familiarName, parseReference } from './reference.js';
import { ellipsis, goTimeString, humanDuration, humanSize, truncateId } from './units.js';

export const defaultContainerTable = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const containerHeaders: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

/** The format docker uses for `ps` with the given flags. */
export function containerFormat(format: string, quiet: boolean, size: boolean): string {
  if (format === '' || format === 'table') {
    if (quiet) return '{{.ID}}';
    return defaultContainerTable + (size ? '\t{{.Size}}' : '');
  }
  if (format === 'raw') {
    if (quiet) return 'container_id: {{.ID}}';
    return (
      'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\n' +
      'status: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n' +
      (size ? 'size: {{.Size}}\n' : '')
    );
  }
  return format;
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Docker's DisplayablePorts: ranges grouped, host mappings after. */
export function displayablePorts(input: readonly Port[]): string {
  const ports = [...input].sort((a, b) => {
    if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
    if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
    if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
    return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const order: string[] = [];
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, start: number, last: number): string => {
    const parts = key.split('/');
    let type = parts[0]!;
    let ip = '';
    if (parts.length > 1) {
      ip = parts[0]!;
      type = parts[1]!;
    }
    let g = String(start);
    if (start !== last) g = `${g}-${last}`;
    if (ip) g = `${joinHostPort(ip, g)}->${g}`;
    return `${g}/${type}`;
  };
  for (const p of ports) {
    const cur = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if ((p.PublicPort ?? 0) !== cur) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: cur, last: cur });
      order.push(key);
      continue;
    }
    if (cur === g.last + 1) {
      g.last = cur;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: cur, last: cur });
  }
  for (const k of order) {
    const g = groups.get(k)!;
    result.push(formGroup(k, g.first, g.last));
  }
  return [...result, ...hostMappings].join(', ');
}

/** An OCI platform: prints as `os/arch[/variant]`, marshals as the descriptor's object. */
export class PlatformValue implements GoStruct {
  readonly goTypeName = '*formatter.Platform';

  constructor(private readonly p: Record<string, unknown>) {}

  toString(): string {
    return [this.p.os, this.p.architecture, this.p.variant].filter((x) => typeof x === 'string' && x !== '').join('/');
  }

  toJSON(): Record<string, unknown> {
    return this.p;
  }
}

export class ContainerContext implements GoStruct {
  readonly goTypeName = '*formatter.ContainerContext';

  constructor(
    private readonly c: ContainerSummary,
    private readonly trunc: boolean,
    private readonly now: number = Date.now(),
  ) {}

  ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }

  Names(): string {
    let names = (this.c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (this.trunc) {
      const plain = names.find((n) => !n.includes('/'));
      if (plain !== undefined) names = [plain];
    }
    return names.join(',');
  }

  Image(): string {
    const image = this.c.Image ?? '';
    if (image === '') return '<no image>';
    if (this.trunc) {
      const t = truncateId(this.c.ImageID ?? '');
      if (t !== '' && t === truncateId(image)) return t;
      const ref = parseReference(image);
      if (ref) return ref.tag ? `${familiarName(ref.name)}:${ref.tag}` : familiarName(ref.name);
    }
    return image;
  }

  Command(): string {
    const cmd = this.c.Command ?? '';
    return goQuote(this.trunc ? ellipsis(cmd, 20) : cmd);
  }

  CreatedAt(): string {
    return goTimeString(this.c.Created);
  }

  RunningFor(): string {
    return `${humanDuration(this.now - this.c.Created * 1000)} ago`;
  }

  Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }

  State(): string {
    return this.c.State ?? '';
  }

  Status(): string {
    return this.c.Status ?? '';
  }

  Size(): string {
    const srw = humanSize(this.c.SizeRw ?? 0);
    const rootfs = this.c.SizeRootFs ?? 0;
    return rootfs > 0 ? `${srw} (virtual ${humanSize(rootfs)})` : srw;
  }

  Labels(): string {
    const l = this.c.Labels ?? {};
    return Object.keys(l)
      .sort()
      .map((k) => `${k}=${l[k]}`)
      .join(',');
  }

  Label(name: string): string {
    return this.c.Labels?.[name] ?? '';
  }

  Mounts(): string {
    return (this.c.Mounts ?? [])
      .map((m) => {
        const name = m.Name || m.Source || '';
        return this.trunc ? ellipsis(name, 15) : name;
      })
      .join(',');
  }

  LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }

  /** The image's platform when the daemon reports it (API 1.46+), else nil. */
  Platform(): PlatformValue | null {
    const p = (this.c as { ImageManifestDescriptor?: { platform?: Record<string, unknown> } }).ImageManifestDescriptor?.platform;
    return p ? new PlatformValue(p) : null;
  }

  Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {})
      .sort()
      .join(',');
  }

  /** What `{{json .}}` prints (docker marshals a map of every field: sorted keys, HTML escaped). */
  goJSON(): string {
    return toGoJsonEscaped(this.fields());
  }

  private fields(): Record<string, unknown> {
    return {
      Command: this.Command(),
      CreatedAt: this.CreatedAt(),
      ID: this.ID(),
      Image: this.Image(),
      Labels: this.Labels(),
      LocalVolumes: this.LocalVolumes(),
      Mounts: this.Mounts(),
      Names: this.Names(),
      Networks: this.Networks(),
      Platform: this.Platform(),
      Ports: this.Ports(),
      RunningFor: this.RunningFor(),
      Size: this.Size(),
      State: this.State(),
      Status: this.Status(),
    };
  }
}
