/** What every handler gets: the exchange, its route and query, the storage, config and the principal. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from '../../util/log.js';
import { RegistryError } from '../../distribution/index.js';
import type { Principal } from '../auth/index.js';
import type { RegistryConfig } from '../config.js';
import type { PullThroughCache } from '../proxy/index.js';
import type { RegistryStorage } from '../storage/index.js';
import type { Route } from './route.js';

export interface RequestContext<R extends Route = Route> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: R;
  readonly query: URLSearchParams;
  readonly storage: RegistryStorage;
  readonly config: RegistryConfig;
  readonly principal: Principal;
  readonly logger: Logger;
  /** Pull-through cache mode: where reads go (they fall back to upstream on a miss). */
  readonly proxy?: PullThroughCache;
}

/** Whether the request carries a body (a length above 0, or chunked transfer). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** The declared Content-Length, or undefined; a malformed one is SIZE_INVALID. */
export function contentLength(req: IncomingMessage): number | undefined {
  const len = req.headers['content-length'];
  if (len === undefined) return undefined;
  if (!/^\d+$/.test(len)) throw new RegistryError('SIZE_INVALID', `malformed Content-Length ${JSON.stringify(len)}`);
  return Number(len);
}

/** Reads a whole (small) body, refusing more than `limit` bytes with `tooLarge`. */
export async function readBody(req: Readable, limit: number, tooLarge: () => RegistryError): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

/** Lets any unread body go (a refused request must not leave it in the connection). */
export function drain(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}
