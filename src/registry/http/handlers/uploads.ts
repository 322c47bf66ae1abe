/**
 * Blob pushes: POST /v2/<name>/blobs/uploads/ (a session, a whole blob with ?digest=, or a mount
 * with ?mount=&from=), PATCH chunks, PUT to close with the digest, GET status, DELETE to cancel.
 */
import { isRepositoryName, RegistryError } from '../../../distribution/index.js';
import type { UploadSession } from '../../storage/index.js';
import { parseContentRange, uploadRangeHeader } from '../range.js';
import { contentLength, drain, hasBody, type RequestContext } from '../request-context.js';
import { sendEmpty } from '../respond.js';
import { checkDigest } from './blobs.js';

type UploadsRoute = { kind: 'uploads'; name: string };
type UploadRoute = { kind: 'upload'; name: string; id: string };

function sessionHeaders(name: string, s: UploadSession): Record<string, string | number> {
  return { Location: `/v2/${name}/blobs/uploads/${s.id}`, Range: uploadRangeHeader(s.size), 'Docker-Upload-UUID': s.id };
}

/** Reads Content-Range/Content-Length of a chunk; they must agree when both are given. */
function chunkBounds(ctx: RequestContext): { start?: number; length?: number } {
  const length = contentLength(ctx.req);
  const raw = ctx.req.headers['content-range'];
  if (raw === undefined) return length === undefined ? {} : { length };
  const range = parseContentRange(raw);
  if (!range) throw new RegistryError('RANGE_INVALID', `malformed Content-Range ${JSON.stringify(raw)} (expected <start>-<end>)`, undefined, 416);
  const span = range.end - range.start + 1;
  if (length !== undefined && length !== span) {
    throw new RegistryError('RANGE_INVALID', `Content-Range ${raw} covers ${span} bytes, Content-Length says ${length}`, undefined, 416);
  }
  return { start: range.start, length: span };
}

export async function startUpload(ctx: RequestContext<UploadsRoute>): Promise<void> {
  const { req, res, storage, route, query, principal } = ctx;
  const mount = query.get('mount');
  if (mount !== null) {
    const d = checkDigest(mount);
    const from = query.get('from');
    // Mount only from a repository the client may pull; otherwise fall back to an upload (202), as the spec says.
    if (from !== null && isRepositoryName(from) && principal.can({ type: 'repository', name: from, actions: ['pull'] })) {
      if (await storage.mountBlob(route.name, from, d)) {
        drain(req);
        sendEmpty(res, 201, { Location: `/v2/${route.name}/blobs/${d}`, 'Docker-Content-Digest': d });
        return;
      }
    }
  }
  const digest = query.get('digest');
  if (digest !== null) {
    const d = checkDigest(digest);
    await storage.putBlob(route.name, req, d, contentLength(req));
    sendEmpty(res, 201, { Location: `/v2/${route.name}/blobs/${d}`, 'Docker-Content-Digest': d });
    return;
  }
  drain(req);
  const s = await storage.startUpload(route.name);
  sendEmpty(res, 202, sessionHeaders(route.name, s));
}

export async function patchUpload(ctx: RequestContext<UploadRoute>): Promise<void> {
  const { req, res, storage, route } = ctx;
  const s = await storage.getUpload(route.name, route.id);
  let bounds;
  try {
    bounds = chunkBounds(ctx);
  } catch (err) {
    drain(req);
    throw new RegistryError('RANGE_INVALID', (err as Error).message, { size: s.size }, 416);
  }
  try {
    await storage.appendUpload(s, req, bounds);
  } catch (err) {
    if (err instanceof RegistryError && err.code === 'RANGE_INVALID') throw new RegistryError('RANGE_INVALID', err.message, { size: s.size }, 416);
    throw err;
  }
  sendEmpty(res, 202, sessionHeaders(route.name, s));
}

export async function putUpload(ctx: RequestContext<UploadRoute>): Promise<void> {
  const { req, res, storage, route, query } = ctx;
  const s = await storage.getUpload(route.name, route.id);
  const raw = query.get('digest');
  if (raw === null) {
    drain(req);
    throw new RegistryError('DIGEST_INVALID', 'closing an upload needs ?digest=');
  }
  const d = checkDigest(raw);
  const last = hasBody(req) ? { body: req, ...chunkBounds(ctx) } : undefined;
  if (!last) drain(req);
  try {
    await storage.finishUpload(s, d, last);
  } catch (err) {
    if (err instanceof RegistryError && err.code === 'RANGE_INVALID') throw new RegistryError('RANGE_INVALID', err.message, { size: s.size }, 416);
    throw err;
  }
  sendEmpty(res, 201, { Location: `/v2/${route.name}/blobs/${d}`, 'Docker-Content-Digest': d });
}

export async function uploadStatus(ctx: RequestContext<UploadRoute>): Promise<void> {
  const s = await ctx.storage.getUpload(ctx.route.name, ctx.route.id);
  sendEmpty(ctx.res, 204, sessionHeaders(ctx.route.name, s));
}

export async function cancelUpload(ctx: RequestContext<UploadRoute>): Promise<void> {
  drain(ctx.req);
  const s = await ctx.storage.getUpload(ctx.route.name, ctx.route.id);
  await ctx.storage.cancelUpload(s);
  sendEmpty(ctx.res, 204);
}
