/**
 * Content discovery: the tags list, the catalog (both paginated) and the referrers index. In
 * pull-through mode the tags list is upstream's (the cached tags when upstream fails); the catalog
 * and the referrers are what the cache holds, as the reference registry's proxy answers.
 */
import { mediaTypes, RegistryError } from '../../../distribution/index.js';
import { nextLink, paginate, parsePageRequest } from '../pagination.js';
import type { RequestContext } from '../request-context.js';
import { sendJson } from '../respond.js';
import { checkDigest } from './blobs.js';

export async function listTags(ctx: RequestContext<{ kind: 'tags'; name: string }>): Promise<void> {
  const { res, route, storage, query, req, proxy } = ctx;
  const page = parsePageRequest(query);
  const unknown = () => new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name: route.name });
  let tags: string[] | undefined;
  if (proxy) tags = await proxy.tags(route.name);
  else if (storage.hasRepository(route.name)) tags = await storage.tags(route.name);
  if (!tags) throw unknown();
  const { items, nextLast } = paginate(tags, page);
  const headers: Record<string, string> = {};
  if (nextLast !== undefined && page.n !== undefined) headers['Link'] = nextLink(`/v2/${route.name}/tags/list`, page.n, nextLast);
  sendJson(res, 200, { name: route.name, tags: items }, headers, req.method === 'HEAD');
}

export async function listCatalog(ctx: RequestContext): Promise<void> {
  const { res, storage, query, req } = ctx;
  const page = parsePageRequest(query);
  const { items, nextLast } = paginate(storage.repositories(), page);
  const headers: Record<string, string> = {};
  if (nextLast !== undefined && page.n !== undefined) headers['Link'] = nextLink('/v2/_catalog', page.n, nextLast);
  sendJson(res, 200, { repositories: items }, headers, req.method === 'HEAD');
}

export async function listReferrers(ctx: RequestContext<{ kind: 'referrers'; name: string; digest: string }>): Promise<void> {
  const { res, route, storage, query, req } = ctx;
  const subject = checkDigest(route.digest);
  const artifactType = query.get('artifactType') ?? undefined;
  const manifests = await storage.referrers(route.name, subject, artifactType);
  const headers: Record<string, string> = { 'Content-Type': mediaTypes.ociIndex };
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
  sendJson(res, 200, { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests }, headers, req.method === 'HEAD');
}
