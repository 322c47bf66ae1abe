/** GET/HEAD/DELETE /v2/<name>/blobs/<digest>: the bytes, a single Range, and repository-scoped removal. */
import { pipeline } from 'node:stream/promises';
import { isDigest, type Digest } from '../../../util/digest.js';
import { RegistryError } from '../../../distribution/index.js';
import { parseRange } from '../range.js';
import { sendFileRange } from '../send-file-range.js';
import type { RequestContext } from '../request-context.js';
import { sendEmpty } from '../respond.js';

export function checkDigest(raw: string): Digest {
  if (isDigest(raw)) return raw;
  if (/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(raw)) {
    throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm: ${raw.split(':')[0]} (this registry stores sha256)`, { digest: raw });
  }
  throw new RegistryError('DIGEST_INVALID', 'invalid digest', { digest: raw });
}

export async function getBlob(ctx: RequestContext<{ kind: 'blob'; name: string; digest: string }>): Promise<void> {
  const { req, res, storage, route, proxy } = ctx;
  const d = checkDigest(route.digest);
  const head = req.method === 'HEAD';
  const blob = proxy ? await proxy.blob(route.name, d, { bodyless: head }) : await storage.storedBlob(route.name, d);
  if (!blob) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest: d });
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': d,
    'Accept-Ranges': 'bytes',
    ETag: `"${d}"`,
    'Cache-Control': 'max-age=31536000',
  };
  const size = blob.size;
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    throw new RegistryError('RANGE_INVALID', `range not satisfiable for a blob of ${size} bytes`, undefined, 416);
  }
  if (head) {
    sendEmpty(res, 200, { ...headers, 'Content-Length': size });
    return;
  }
  // Open before answering: a blob collected since the stat (or a failed upstream fetch) is an error response, not a broken 200.
  const file = blob.openFile ? await blob.openFile(range) : undefined;
  const stream = file ? undefined : await blob.open(range);
  if (range) {
    res.writeHead(206, { ...headers, 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${size}` });
  } else {
    res.writeHead(200, { ...headers, 'Content-Length': size });
  }
  if (file) {
    // A stored blob: read from its file in pooled buffers (see send-file-range.ts).
    try {
      await sendFileRange(res, file.file, file.start, file.end);
    } catch {
      res.destroy();
    } finally {
      await file.file.close().catch(() => {});
    }
    return;
  }
  // A stream that fails (an upstream fetch that failed verification) aborts the response: never a complete one with bad bytes.
  await pipeline(stream!, res).catch(() => res.destroy());
}

export async function deleteBlob(ctx: RequestContext<{ kind: 'blob'; name: string; digest: string }>): Promise<void> {
  const { res, storage, route, config } = ctx;
  if (!config.deleteEnabled) throw new RegistryError('UNSUPPORTED', 'blob deletion is disabled (storage.delete.enabled / --delete-enabled)');
  const d = checkDigest(route.digest);
  if (!(await storage.deleteBlob(route.name, d))) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest: d });
  sendEmpty(res, 202, { 'Docker-Content-Digest': d });
}
