/**
 * Checks an image config read from an archive before anything is unpacked for it: a JSON
 * object with `rootfs.type` "layers", sha256 `diff_ids`, a Linux `os`, and history entries of
 * the right shapes. The bytes themselves are kept by the caller: their digest is the image id.
 */
import { isDigest } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { ImageConfig } from '../oci-types.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function parseImageConfig(bytes: Buffer, where: string): ImageConfig {
  const bad = (why: string) => new InvalidArgumentError(`invalid archive: the image config ${where} ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw bad(`is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw bad('is not a JSON object');
  const rootfs = doc.rootfs;
  if (!isObject(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) throw bad('has no rootfs of type "layers" with diff_ids');
  for (const d of rootfs.diff_ids) if (typeof d !== 'string' || !isDigest(d)) throw bad(`has an invalid diff_id ${JSON.stringify(d)}`);
  const os = doc.os ?? 'linux';
  if (typeof os !== 'string') throw bad('has a non-string os');
  if (os !== 'linux') throw new InvalidArgumentError(`cannot load ${os} image on linux`);
  if (doc.architecture !== undefined && typeof doc.architecture !== 'string') throw bad('has a non-string architecture');
  if (doc.created !== undefined && typeof doc.created !== 'string') throw bad('has a non-string created time');
  if (doc.config !== undefined && doc.config !== null && !isObject(doc.config)) throw bad('has a config that is not an object');
  if (doc.history !== undefined && doc.history !== null) {
    if (!Array.isArray(doc.history)) throw bad('has a history that is not an array');
    for (const h of doc.history) {
      if (!isObject(h)) throw bad('has a history entry that is not an object');
      for (const k of ['created', 'created_by', 'author', 'comment'] as const) {
        if (h[k] !== undefined && typeof h[k] !== 'string') throw bad(`has a history entry whose ${k} is not a string`);
      }
      if (h.empty_layer !== undefined && typeof h.empty_layer !== 'boolean') throw bad('has a history entry whose empty_layer is not a boolean');
    }
  }
  return { ...(doc as unknown as ImageConfig), os: 'linux', architecture: (doc.architecture as string | undefined) ?? '' };
}
