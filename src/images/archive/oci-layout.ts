/**
 * The OCI image layout (image-spec `image-layout.md`): `oci-layout`, `index.json` and
 * `blobs/sha256/<hex>`. Image names travel in the index's descriptor annotations: containerd and
 * Docker 25+ write the full name in `io.containerd.image.name` and the tag alone in
 * `org.opencontainers.image.ref.name`; skopeo and podman write a full reference in the latter.
 */
import { isIndexMediaType, mediaTypes, parseManifest, layerCompression, type Descriptor, type ImageIndex, type Platform } from '../../distribution/index.js';
import type { Digest } from '../../util/digest.js';
import { InvalidArgumentError, errorMessage } from '../../util/errors.js';
import { formatReference, parseReference, withDefaultTag, type Reference } from '../../util/reference.js';

export const annotationRefName = 'org.opencontainers.image.ref.name';
export const annotationImageName = 'io.containerd.image.name';
export const ociLayoutVersion = '1.0.0';

/** Checks the `oci-layout` file: a JSON object naming layout version 1.x. */
export function parseOciLayoutFile(bytes: Buffer): void {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`invalid OCI layout: oci-layout is not JSON: ${errorMessage(err)}`);
  }
  const version = (doc as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
  if (typeof version !== 'string') throw new InvalidArgumentError('invalid OCI layout: oci-layout has no imageLayoutVersion');
  if (!/^1\.\d+\.\d+$/.test(version)) throw new InvalidArgumentError(`invalid OCI layout: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
}

/** Parses an index (index.json or a nested one) read from an archive. */
export function parseArchiveIndex(bytes: Buffer, where: string): ImageIndex {
  let parsed;
  try {
    parsed = parseManifest(bytes);
  } catch (err) {
    throw new InvalidArgumentError(`invalid OCI layout: ${where}: ${errorMessage(err)}`);
  }
  if (parsed.kind !== 'index') throw new InvalidArgumentError(`invalid OCI layout: ${where} is not an image index`);
  return parsed.manifest;
}

/**
 * The tag an index descriptor gives its image, or null when it names none (no annotation, a
 * bare tag without a repository, or a digest reference).
 */
export function nameFromAnnotations(annotations: Readonly<Record<string, string>> | undefined): Reference | null {
  const full = annotations?.[annotationImageName];
  const refName = annotations?.[annotationRefName];
  const candidate = full || (refName && /[/:@]/.test(refName) ? refName : undefined);
  if (!candidate) return null;
  let ref: Reference;
  try {
    ref = parseReference(candidate);
  } catch (err) {
    throw new InvalidArgumentError(`invalid OCI layout: index.json names an image ${JSON.stringify(candidate)}: ${errorMessage(err)}`);
  }
  if (ref.tag === undefined && ref.digest !== undefined) return null;
  const { digest: _digest, ...tagged } = withDefaultTag(ref);
  return tagged;
}

/** Whether a descriptor in an index points at another index (a multi-platform image). */
export function isNestedIndex(d: Descriptor): boolean {
  return isIndexMediaType(d.mediaType);
}

/** The OCI media type for a stored layer: same bytes, the OCI name of their compression. */
export function ociLayerMediaType(stored: string): string {
  switch (layerCompression(stored)) {
    case 'gzip':
      return mediaTypes.ociLayerGzip;
    case 'zstd':
      return mediaTypes.ociLayerZstd;
    default:
      return mediaTypes.ociLayer;
  }
}

export function encodeOciLayout(): Buffer {
  return Buffer.from(JSON.stringify({ imageLayoutVersion: ociLayoutVersion }));
}

export function encodeOciManifest(config: { digest: Digest; size: number }, layers: ReadonlyArray<{ mediaType: string; digest: Digest; size: number }>): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: ociLayerMediaType(l.mediaType), digest: l.digest, size: l.size })),
    }),
  );
}

/** One index.json descriptor per tag (or one without annotations for an untagged image). */
export function indexDescriptors(manifest: { digest: Digest; size: number }, platform: Platform, tags: readonly Reference[]): Descriptor[] {
  const base: Descriptor = { mediaType: mediaTypes.ociManifest, digest: manifest.digest, size: manifest.size, platform };
  if (tags.length === 0) return [base];
  return tags.map((t) => ({ ...base, annotations: { [annotationImageName]: formatReference(t), [annotationRefName]: t.tag ?? 'latest' } }));
}

export function encodeOciIndex(manifests: readonly Descriptor[]): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests }));
}
