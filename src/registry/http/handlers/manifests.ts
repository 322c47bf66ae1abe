/**
 * GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>. Content negotiation: the stored bytes are
 * answered as stored, with the Content-Type they were pushed with (Berth converts no manifest;
 * a client names what it understands in Accept, and every type it can push it can pull).
 */
import { isDigest } from '../../../util/digest.js';
import { isTag, maxManifestBytes, RegistryError } from '../../../distribution/index.js';
import { contentLength, drain, readBody, type RequestContext } from '../request-context.js';
import { sendEmpty } from '../respond.js';

type ManifestRoute = { kind: 'manifest'; name: string; reference: string };

function checkReference(reference: string): void {
  if (isDigest(reference) || isTag(reference)) return;
  if (reference.includes(':')) throw new RegistryError('DIGEST_INVALID', 'invalid or unsupported digest', { reference });
  throw new RegistryError('MANIFEST_INVALID', 'invalid tag', { reference }, 400);
}

export async function getManifest(ctx: RequestContext<ManifestRoute>): Promise<void> {
  const { req, res, route, storage, proxy } = ctx;
  checkReference(route.reference);
  const m = proxy ? await proxy.getManifest(route.name, route.reference) : await storage.getManifest(route.name, route.reference);
  if (!m) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown to registry', { name: route.name, reference: route.reference });
  res.writeHead(200, {
    'Content-Type': m.mediaType,
    'Content-Length': m.bytes.length,
    'Docker-Content-Digest': m.digest,
    ETag: `"${m.digest}"`,
  });
  res.end(req.method === 'HEAD' ? undefined : m.bytes);
}

const tooLarge = () => new RegistryError('MANIFEST_INVALID', `manifest larger than ${maxManifestBytes} bytes`, undefined, 413);

export async function putManifest(ctx: RequestContext<ManifestRoute>): Promise<void> {
  const { req, res, route, storage, query } = ctx;
  checkReference(route.reference);
  const declared = contentLength(req);
  if (declared !== undefined && declared > maxManifestBytes) {
    drain(req);
    throw tooLarge();
  }
  const extraTags = isDigest(route.reference) ? query.getAll('tag') : [];
  const bytes = await readBody(req, maxManifestBytes, tooLarge);
  const parsed = await storage.putManifest(route.name, route.reference, bytes, req.headers['content-type'], extraTags);
  const headers: Record<string, string | number | string[]> = {
    Location: `/v2/${route.name}/manifests/${parsed.digest}`,
    'Docker-Content-Digest': parsed.digest,
  };
  if (parsed.manifest.subject) headers['OCI-Subject'] = parsed.manifest.subject.digest;
  if (extraTags.length > 0) headers['OCI-Tag'] = extraTags;
  sendEmpty(res, 201, headers);
}

export async function deleteManifest(ctx: RequestContext<ManifestRoute>): Promise<void> {
  const { res, route, storage, config } = ctx;
  if (!config.deleteEnabled) throw new RegistryError('UNSUPPORTED', 'manifest deletion is disabled (storage.delete.enabled / --delete-enabled)');
  checkReference(route.reference);
  if (isDigest(route.reference)) {
    if (!(await storage.deleteManifest(route.name, route.reference))) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown to registry', { digest: route.reference });
  } else if (!(await storage.deleteTag(route.name, route.reference))) {
    throw new RegistryError('MANIFEST_UNKNOWN', 'tag unknown to registry', { tag: route.reference });
  }
  sendEmpty(res, 202);
}
