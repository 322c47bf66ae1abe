/**
 * Tar entry names as layers use them: '/'-separated, relative to the layer root. A leading "/"
 * means the layer root (Docker extracts absolute names as if chrooted, so `/etc/x` and `/../x`
 * land at `etc/x` and `x`); a relative name whose `..` climbs above the root is refused.
 */
import { posix } from 'node:path';
import { InvalidArgumentError } from '../errors.js';

/** Longest cleaned name accepted, in bytes (Linux PATH_MAX). */
export const maxNameBytes = 4096;
/** Longest path component, in bytes (Linux NAME_MAX). */
export const maxComponentBytes = 255;

/** OCI whiteout prefix: `.wh.<name>` deletes `<name>` from the layers below. */
export const whiteoutPrefix = '.wh.';
/** AUFS metadata prefix; `.wh..wh..opq` is the only such name with a meaning in OCI layers. */
export const whiteoutMetaPrefix = '.wh..wh.';
/** OCI opaque marker: the directory holding it hides the lower layers' contents. */
export const opaqueMarker = '.wh..wh..opq';

/**
 * Cleans a tar name (or a hardlink's target) into a root-relative path without `.`/`..`
 * components, leading or trailing slashes; the layer root itself is "". Throws
 * InvalidArgumentError for NUL bytes, escapes above the root and over-long names.
 * `context` starts the message, e.g. `Cannot apply layer: entry`.
 */
export function cleanEntryName(raw: string, context: string): string {
  if (raw.includes('\0')) {
    throw new InvalidArgumentError(`${context} ${JSON.stringify(raw)} contains a NUL byte`);
  }
  // posix.normalize keeps `..` that climbs above a relative start but drops it at "/".
  let cleaned = posix.normalize(raw);
  if (cleaned === '..' || cleaned.startsWith('../')) {
    throw new InvalidArgumentError(`${context} ${JSON.stringify(raw)} escapes the root`);
  }
  cleaned = cleaned.replace(/^\/+/, '').replace(/\/+$/, '');
  if (cleaned === '.') cleaned = '';
  if (Buffer.byteLength(cleaned) > maxNameBytes) {
    throw new InvalidArgumentError(`${context} ${JSON.stringify(raw.slice(0, 64) + '…')} is longer than ${maxNameBytes} bytes`);
  }
  for (const part of cleaned.split('/')) {
    if (Buffer.byteLength(part) > maxComponentBytes) {
      throw new InvalidArgumentError(`${context} ${JSON.stringify(raw.slice(0, 64) + '…')} has a component longer than ${maxComponentBytes} bytes`);
    }
  }
  return cleaned;
}

/** The parent of a cleaned name ("" for top-level names and the root). */
export function parentName(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i);
}

/** The last component of a cleaned name. */
export function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** `child` joined under the cleaned name `dir`. */
export function joinName(dir: string, child: string): string {
  return dir === '' ? child : dir + '/' + child;
}
