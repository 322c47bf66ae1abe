/**
 * tmpfs mount options as Docker takes them (`--tmpfs /run:rw,size=64m,mode=1777`, the values of
 * HostConfig.Tmpfs, and HostConfig.Mounts[].TmpfsOptions): Docker's defaults first, then the
 * user's, merged so the last word on each flag or data key wins.
 */
import { InvalidArgumentError } from '../../util/errors.js';

/** What every tmpfs gets before the user's options: Docker's defaults plus its default propagation. */
export const defaultTmpfsOptions: readonly string[] = ['noexec', 'nosuid', 'nodev', 'rprivate'];

/**
 * Flags grouped by the mount(2) bit they set or clear: within a group the last one given wins
 * (`rw` after `ro` means rw). All propagation flags form one group.
 */
const flagGroups: ReadonlyMap<string, string> = new Map([
  ['ro', 'rdonly'], ['rw', 'rdonly'],
  ['suid', 'nosuid'], ['nosuid', 'nosuid'],
  ['dev', 'nodev'], ['nodev', 'nodev'],
  ['exec', 'noexec'], ['noexec', 'noexec'],
  ['sync', 'sync'], ['async', 'sync'],
  ['dirsync', 'dirsync'],
  ['remount', 'remount'],
  ['mand', 'mand'], ['nomand', 'mand'],
  ['atime', 'noatime'], ['noatime', 'noatime'],
  ['diratime', 'nodiratime'], ['nodiratime', 'nodiratime'],
  ['relatime', 'relatime'], ['norelatime', 'relatime'],
  ['strictatime', 'strictatime'], ['nostrictatime', 'strictatime'],
  ...['bind', 'rbind', 'unbindable', 'runbindable', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'].map(
    (p) => [p, 'propagation'] as [string, string],
  ),
]);

/** Data options tmpfs understands, each with the shape of its value. */
const dataOptions: ReadonlyMap<string, RegExp> = new Map([
  ['size', /^\d+[kmgtpe%]?$/i],
  ['nr_blocks', /^\d+[kmgtpe]?$/i],
  ['nr_inodes', /^\d+[kmgtpe]?$/i],
  ['mode', /^[0-7]{1,4}$/],
  ['uid', /^\d+$/],
  ['gid', /^\d+$/],
  ['mpol', /^(default|prefer|bind|interleave|local)(:[\d,-]+)?$/],
]);

/**
 * Merges option lists, keeping the last occurrence of each flag group or data key in the
 * position of that last occurrence; `defaults` disappears. Unknown options and malformed
 * values are InvalidArgumentErrors.
 */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i]!;
    if (option === 'defaults') continue;
    let key = flagGroups.get(option);
    if (key === undefined) {
      const eq = option.indexOf('=');
      const name = eq < 0 ? option : option.slice(0, eq);
      const shape = dataOptions.get(name);
      if (eq < 0 || shape === undefined) throw new InvalidArgumentError(`invalid tmpfs option "${name}"`);
      if (!shape.test(option.slice(eq + 1))) throw new InvalidArgumentError(`invalid tmpfs option "${option}": bad value for ${name}`);
      key = `data:${name}`;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(option);
  }
  return out;
}

/**
 * The mount options for one tmpfs from Docker's option text (`rw,size=64m,mode=1777`, '' for
 * none): Docker's defaults (noexec, nosuid, nodev, rprivate) overridden by the user's.
 */
export function parseTmpfsMountOptions(spec: string): string[] {
  const user = spec === '' ? [] : spec.split(',');
  return mergeTmpfsOptions([...defaultTmpfsOptions, ...user]);
}

/** `--tmpfs /run:rw,size=64m` → destination and merged options. */
export function parseTmpfsFlag(flag: string): { destination: string; options: string[] } {
  const colon = flag.indexOf(':');
  const destination = colon < 0 ? flag : flag.slice(0, colon);
  if (!destination.startsWith('/')) {
    throw new InvalidArgumentError(`invalid mount path: '${destination}' mount path must be absolute`);
  }
  return { destination, options: parseTmpfsMountOptions(colon < 0 ? '' : flag.slice(colon + 1)) };
}

/**
 * The option text Docker derives from an API tmpfs mount (HostConfig.Mounts[].TmpfsOptions):
 * `ro` for a read-only mount, the mode in octal, the size in the largest binary unit that
 * divides it exactly.
 */
export function tmpfsOptionsFromMount(m: { readonly sizeBytes?: number; readonly mode?: number; readonly readOnly?: boolean }): string {
  const raw: string[] = [];
  if (m.readOnly) raw.push('ro');
  if (m.mode) raw.push(`mode=${m.mode.toString(8)}`);
  if (m.sizeBytes) {
    if (!Number.isSafeInteger(m.sizeBytes) || m.sizeBytes < 0) throw new InvalidArgumentError(`invalid tmpfs size: ${m.sizeBytes}`);
    let text = String(m.sizeBytes);
    for (const [suffix, unit] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (m.sizeBytes % unit === 0) {
        text = `${m.sizeBytes / unit}${suffix}`;
        break;
      }
    }
    raw.push(`size=${text}`);
  }
  return raw.join(',');
}
