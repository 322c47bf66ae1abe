/**
 * Paths inside an image archive: the names of its tar entries and the paths its manifests
 * point at (manifest.json's Config and Layers). Both are '/'-separated and relative to the
 * archive's root; an absolute path or one whose `..` climbs above the root is refused, never
 * quietly re-rooted, because no archive writer produces them and an archive that does is hostile.
 */
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../util/errors.js';

/** Longest path accepted (Linux PATH_MAX). */
const maxPathBytes = 4096;

/**
 * The cleaned form of `raw` (`./a//b/` → `a/b`; the root itself is ""). `what` names the path
 * in errors, e.g. `entry` or `manifest.json Layers[0]`.
 */
export function cleanArchivePath(raw: string, what: string): string {
  const shown = `invalid archive: ${what} ${JSON.stringify(raw.length > 200 ? raw.slice(0, 200) + '…' : raw)}`;
  if (raw.includes('\0')) throw new InvalidArgumentError(`${shown} contains a NUL byte`);
  if (Buffer.byteLength(raw) > maxPathBytes) throw new InvalidArgumentError(`${shown} is longer than ${maxPathBytes} bytes`);
  if (raw.startsWith('/')) throw new InvalidArgumentError(`${shown} is an absolute path`);
  const normalized = posix.normalize(raw);
  if (normalized === '..' || normalized.startsWith('../')) throw new InvalidArgumentError(`${shown} escapes the archive`);
  const cleaned = normalized.replace(/\/+$/, '');
  return cleaned === '.' ? '' : cleaned;
}

/** `target` of a symlink at `linkPath`, resolved against the link's directory and cleaned. */
export function resolveLinkTarget(linkPath: string, target: string): string {
  if (target.startsWith('/')) {
    throw new InvalidArgumentError(`invalid archive: symlink ${JSON.stringify(linkPath)} points at the absolute path ${JSON.stringify(target)}`);
  }
  const dir = posix.dirname(linkPath);
  const joined = dir === '.' ? target : `${dir}/${target}`;
  const normalized = posix.normalize(joined);
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new InvalidArgumentError(`invalid archive: symlink ${JSON.stringify(linkPath)} points outside the archive (${JSON.stringify(target)})`);
  }
  const cleaned = normalized.replace(/\/+$/, '');
  return cleaned === '.' ? '' : cleaned;
}
