/**
 * Parsing and validation of manifest bytes as they arrive from a registry, an archive or a push.
 * The bytes are kept as they are (their digest is the manifest's identity); this only reads them,
 * checks the shape the image spec requires, and lists the descriptors they reference.
 */
import { isDigest, sha256Digest, type Digest } from '../util/digest.js';
import { RegistryError } from './registry-errors.js';
import type { Descriptor, ImageIndex, ImageManifest, Platform } from './descriptor.js';
import { bareMediaType, imageManifestTypes, indexManifestTypes, mediaTypes } from './media-types.js';

export type ParsedManifest =
  | { readonly kind: 'image'; readonly mediaType: string; readonly digest: Digest; readonly bytes: Buffer; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly mediaType: string; readonly digest: Digest; readonly bytes: Buffer; readonly manifest: ImageIndex };

/** Manifests larger than this are refused, as the reference registry and containerd do (4 MiB). */
export const maxManifestBytes = 4 * 1024 * 1024;

function invalid(message: string, detail?: unknown): RegistryError {
  return new RegistryError('MANIFEST_INVALID', `manifest invalid: ${message}`, detail);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const mediaTypePattern = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

function checkStringMap(v: unknown, where: string): void {
  if (v === undefined) return;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${where} must map strings to strings`);
}

function checkPlatform(v: unknown, where: string): asserts v is Platform | undefined {
  if (v === undefined) return;
  if (!isObject(v) || typeof v.architecture !== 'string' || typeof v.os !== 'string') {
    throw invalid(`${where}.platform needs architecture and os strings`);
  }
}

/** Checks one descriptor's required fields (mediaType, digest, size) and optional ones' types. */
export function validateDescriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw invalid(`${where} is not a descriptor object`);
  if (typeof v.mediaType !== 'string' || !mediaTypePattern.test(v.mediaType)) throw invalid(`${where}.mediaType is missing or malformed`);
  if (typeof v.digest !== 'string' || !isDigest(v.digest)) {
    throw invalid(`${where}.digest is missing, malformed or not sha256`, { digest: v.digest });
  }
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  if (v.urls !== undefined && (!Array.isArray(v.urls) || v.urls.some((u) => typeof u !== 'string'))) throw invalid(`${where}.urls must be strings`);
  checkStringMap(v.annotations, `${where}.annotations`);
  checkPlatform(v.platform, where);
  if (v.artifactType !== undefined && (typeof v.artifactType !== 'string' || !mediaTypePattern.test(v.artifactType))) {
    throw invalid(`${where}.artifactType is malformed`);
  }
  if (v.data !== undefined) {
    if (typeof v.data !== 'string') throw invalid(`${where}.data must be base64`);
    const data = Buffer.from(v.data, 'base64');
    if (data.length !== v.size || sha256Digest(data) !== v.digest) throw invalid(`${where}.data does not match its digest and size`);
  }
  return v as unknown as Descriptor;
}

/**
 * Parses manifest bytes. `contentType` is what came with them (a push's Content-Type, a
 * registry's answer); when the document names its own `mediaType` the two must agree. Schema 1
 * and unknown types are refused. Throws RegistryError MANIFEST_INVALID with the reason.
 */
export function parseManifest(bytes: Buffer, contentType?: string): ParsedManifest {
  if (bytes.length > maxManifestBytes) throw invalid(`larger than ${maxManifestBytes} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw invalid('not a JSON object');
  const declared = bareMediaType(contentType);
  const own = doc.mediaType;
  if (own !== undefined && typeof own !== 'string') throw invalid('mediaType must be a string');
  if (doc.schemaVersion === 1 || declared === mediaTypes.dockerSchema1 || declared === mediaTypes.dockerSchema1Signed) {
    throw new RegistryError('MANIFEST_INVALID', 'manifest invalid: Docker schema 1 manifests are not supported');
  }
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const generic = declared === '' || declared === 'application/json' || declared === 'application/octet-stream';
  if (own !== undefined && !generic && own !== declared) {
    throw invalid(`mediaType ${JSON.stringify(own)} does not match the Content-Type ${JSON.stringify(declared)}`);
  }
  // With neither a Content-Type nor a mediaType field, the shape decides (OCI allows both absent).
  const mediaType = (own as string | undefined) ?? (generic ? ('manifests' in doc ? mediaTypes.ociIndex : mediaTypes.ociManifest) : declared);
  const digest = sha256Digest(bytes);
  checkStringMap(doc.annotations, 'annotations');
  if (doc.subject !== undefined) validateDescriptor(doc.subject, 'subject');
  if (doc.artifactType !== undefined && (typeof doc.artifactType !== 'string' || !mediaTypePattern.test(doc.artifactType))) {
    throw invalid('artifactType is malformed');
  }
  if (imageManifestTypes.includes(mediaType)) {
    if ('manifests' in doc) throw invalid('an image manifest has no manifests field');
    validateDescriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw invalid('layers must be an array');
    doc.layers.forEach((l, i) => validateDescriptor(l, `layers[${i}]`));
    if (mediaType === mediaTypes.dockerManifest && (doc.layers as unknown[]).length === 0) {
      throw invalid('a Docker schema 2 manifest needs at least one layer');
    }
    return { kind: 'image', mediaType, digest, bytes, manifest: doc as unknown as ImageManifest };
  }
  if (indexManifestTypes.includes(mediaType)) {
    if ('layers' in doc || 'config' in doc) throw invalid('an index has no config or layers');
    if (!Array.isArray(doc.manifests)) throw invalid('manifests must be an array');
    doc.manifests.forEach((m, i) => validateDescriptor(m, `manifests[${i}]`));
    return { kind: 'index', mediaType, digest, bytes, manifest: doc as unknown as ImageIndex };
  }
  throw invalid(`unsupported manifest media type ${JSON.stringify(mediaType)}`);
}

/** Every descriptor a manifest points at (config, layers, child manifests, subject). */
export function referencedDescriptors(m: ParsedManifest): Descriptor[] {
  const out: Descriptor[] = [];
  if (m.kind === 'image') out.push(m.manifest.config, ...m.manifest.layers);
  else out.push(...m.manifest.manifests);
  return out;
}

/** The artifact type the referrers API reports: `artifactType`, else an image's config type. */
export function artifactTypeOf(m: ParsedManifest): string | undefined {
  if (m.manifest.artifactType) return m.manifest.artifactType;
  return m.kind === 'image' ? m.manifest.config.mediaType : undefined;
}
