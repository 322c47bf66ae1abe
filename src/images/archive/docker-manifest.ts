/**
 * `manifest.json` of a `docker save` archive: one item per image with the path of its config,
 * its tags and the paths of its layers (oldest first). Docker 20.10 writes `<id>.json` and
 * `<v1 id>/layer.tar`; Docker 25+ writes `blobs/sha256/<hex>` paths beside an OCI layout.
 */
import { InvalidArgumentError } from '../../util/errors.js';

export interface DockerManifestItem {
  readonly Config: string;
  /** Familiar `name:tag` strings; Docker writes null for an untagged image. */
  readonly RepoTags: readonly string[] | null;
  readonly Layers: readonly string[];
  readonly Parent?: string;
  /** Foreign layers' descriptors by diff id (Windows base layers); read, never needed here. */
  readonly LayerSources?: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Parses and checks manifest.json; errors read as Docker's (`invalid archive: failed to decode manifest.json: …`). */
export function parseDockerManifest(bytes: Buffer): DockerManifestItem[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`invalid archive: failed to decode manifest.json: ${(err as Error).message}`);
  }
  // Docker: a null manifest usually means a bug, so it is not taken as "nothing to load".
  if (doc === null) throw new InvalidArgumentError('invalid manifest, manifest cannot be null (but can be [])');
  if (!Array.isArray(doc)) throw new InvalidArgumentError('invalid archive: failed to decode manifest.json: not an array of images');
  return doc.map((item, i) => {
    const where = `manifest.json[${i}]`;
    if (!isObject(item)) throw new InvalidArgumentError(`invalid archive: ${where} is not an object`);
    if (typeof item.Config !== 'string' || item.Config === '') throw new InvalidArgumentError(`invalid archive: ${where} has no Config path`);
    if (item.RepoTags !== undefined && item.RepoTags !== null && !isStringArray(item.RepoTags)) {
      throw new InvalidArgumentError(`invalid archive: ${where}.RepoTags must be a list of strings`);
    }
    if (!isStringArray(item.Layers)) throw new InvalidArgumentError(`invalid archive: ${where}.Layers must be a list of paths`);
    if (item.Parent !== undefined && typeof item.Parent !== 'string') throw new InvalidArgumentError(`invalid archive: ${where}.Parent must be a string`);
    return {
      Config: item.Config,
      RepoTags: (item.RepoTags as string[] | null | undefined) ?? null,
      Layers: item.Layers,
      ...(item.Parent ? { Parent: item.Parent } : {}),
    };
  });
}

/** manifest.json as Docker's json.Encoder writes it: compact, a newline at the end, no empty Parent. */
export function encodeDockerManifest(items: readonly DockerManifestItem[]): Buffer {
  return Buffer.from(
    JSON.stringify(items.map((m) => ({ Config: m.Config, RepoTags: m.RepoTags && m.RepoTags.length ? m.RepoTags : null, Layers: m.Layers, ...(m.Parent ? { Parent: m.Parent } : {}) }))) + '\n',
  );
}
