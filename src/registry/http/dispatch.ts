/**
 * The request handler: route, read-only and auth checks, the resource's handler, and afterwards
 * the metrics and one structured access-log line. Every failure goes out through sendError.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../util/log.js';
import { RegistryError } from '../../distribution/index.js';
import { parseBasic, type Principal, type RegistryAuth, type ResourceAccess, type TokenIssuer } from '../auth/index.js';
import type { RegistryConfig } from '../config.js';
import type { RegistryMetrics } from '../metrics.js';
import type { PullThroughCache } from '../proxy/index.js';
import type { RegistryStorage } from '../storage/index.js';
import { deleteBlob, getBlob } from './handlers/blobs.js';
import { listCatalog, listReferrers, listTags } from './handlers/listings.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifests.js';
import { cancelUpload, patchUpload, putUpload, startUpload, uploadStatus } from './handlers/uploads.js';
import { readBody, drain, type RequestContext } from './request-context.js';
import { sendError, sendJson } from './respond.js';
import { parseRoute, type Route } from './route.js';

export interface DispatchDeps {
  readonly storage: RegistryStorage;
  readonly config: RegistryConfig;
  readonly auth: RegistryAuth;
  readonly tokenIssuer?: TokenIssuer;
  readonly metrics: RegistryMetrics;
  readonly logger: Logger;
  readonly secure: boolean;
  readonly proxy?: PullThroughCache;
}

type Handler = (ctx: RequestContext<any>) => Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any

const countedBytes = Symbol('countedBytes');

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The handler for a route and method, or undefined (405). */
function handlerFor(route: Route, method: string): Handler | undefined {
  const read = method === 'GET' || method === 'HEAD';
  switch (route.kind) {
    case 'base':
      return read ? async (ctx) => sendJson(ctx.res, 200, {}, {}, method === 'HEAD') : undefined;
    case 'catalog':
      return read ? listCatalog : undefined;
    case 'tags':
      return read ? listTags : undefined;
    case 'referrers':
      return read ? listReferrers : undefined;
    case 'manifest':
      return read ? getManifest : method === 'PUT' ? putManifest : method === 'DELETE' ? deleteManifest : undefined;
    case 'blob':
      return read ? getBlob : method === 'DELETE' ? deleteBlob : undefined;
    case 'uploads':
      return method === 'POST' ? startUpload : undefined;
    case 'upload':
      return method === 'PATCH' ? patchUpload : method === 'PUT' ? putUpload : method === 'GET' ? uploadStatus : method === 'DELETE' ? cancelUpload : undefined;
    default:
      return undefined;
  }
}

/** The access a request needs, in token-scope terms. */
function neededAccess(route: Route, method: string): ResourceAccess[] {
  switch (route.kind) {
    case 'base':
      return [];
    case 'catalog':
      return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    case 'tags':
    case 'referrers':
      return [{ type: 'repository', name: route.name, actions: ['pull'] }];
    case 'manifest':
    case 'blob':
    case 'uploads':
    case 'upload': {
      const action = method === 'GET' || method === 'HEAD' ? (route.kind === 'upload' ? 'push' : 'pull') : method === 'DELETE' && route.kind !== 'upload' ? 'delete' : 'push';
      return [{ type: 'repository', name: route.name, actions: [action] }];
    }
    default:
      return [];
  }
}

export function createDispatcher(deps: DispatchDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { storage, config, auth, metrics, logger, secure } = deps;
  return (req, res) => {
    const started = process.hrtime.bigint();
    const socket = req.socket;
    // Bytes are counted per connection from where the previous request on it ended (headers included).
    const seen = socket as typeof socket & { [countedBytes]?: { read: number; written: number } };
    const readBefore = seen[countedBytes]?.read ?? 0;
    const writtenBefore = seen[countedBytes]?.written ?? 0;
    metrics.requestStarted();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    let routeKind = 'unknown';
    let account: string | undefined;
    let errorCode: string | undefined;
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const bytesIn = socket.bytesRead - readBefore;
      const bytesOut = socket.bytesWritten - writtenBefore;
      seen[countedBytes] = { read: socket.bytesRead, written: socket.bytesWritten };
      metrics.requestDone(method, routeKind, res.statusCode, bytesIn, bytesOut, seconds);
      if (config.accessLog) {
        logger.info('request', {
          method,
          path,
          route: routeKind,
          status: res.statusCode,
          bytes_in: bytesIn,
          bytes_out: bytesOut,
          duration_ms: Math.round(seconds * 1e6) / 1000,
          remote: socket.remoteAddress,
          ...(account ? { account } : {}),
          ...(errorCode ? { error: errorCode } : {}),
          ...(res.writableFinished ? {} : { aborted: true }),
        });
      }
    };
    res.on('finish', finish);
    res.on('close', finish);

    const run = async (): Promise<void> => {
      const route = parseRoute(path);
      routeKind = route.kind;
      if (route.kind === 'metrics') {
        if (method !== 'GET') throw new RegistryError('UNSUPPORTED', 'method not allowed');
        if (config.auth.kind !== 'none') {
          // Scrapers authenticate with an htpasswd user's basic credentials, whatever the registry's mode.
          const creds = parseBasic(req.headers.authorization);
          if (!creds || !(await auth.verifyUser(creds.user, creds.password))) {
            res.setHeader('WWW-Authenticate', 'Basic realm="berth-registry-metrics"');
            throw new RegistryError('UNAUTHORIZED', 'metrics need an htpasswd user');
          }
        }
        const body = metrics.render();
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      if (route.kind === 'token') {
        if (!deps.tokenIssuer) throw new RegistryError('UNSUPPORTED', 'this registry issues no tokens', undefined, 404);
        let form: URLSearchParams | undefined;
        if (method === 'POST') form = new URLSearchParams((await readBody(req, 64 * 1024, () => new RegistryError('SIZE_INVALID', 'token request too large'))).toString('utf8'));
        else if (method !== 'GET') throw new RegistryError('UNSUPPORTED', 'method not allowed');
        const answer = await deps.tokenIssuer.handle(req, query, form);
        sendJson(res, answer.status, answer.body, answer.headers ?? {});
        return;
      }
      if (route.kind === 'unknown') throw new RegistryError('UNSUPPORTED', 'no such endpoint', { path }, 404);
      const handler = handlerFor(route, method);
      if (!handler) throw new RegistryError('UNSUPPORTED', `method ${method} not allowed here`);
      if (config.readOnly && writeMethods.has(method)) {
        throw new RegistryError('UNSUPPORTED', 'the registry is in read-only mode');
      }
      if (deps.proxy && writeMethods.has(method)) {
        // As the reference registry in proxy mode: pushes and deletes are UNSUPPORTED (405).
        throw new RegistryError('UNSUPPORTED', `this registry is a pull-through cache of ${deps.proxy.remoteUrl}; it takes no pushes or deletes`);
      }
      const principal: Principal = await auth.authorize(req, neededAccess(route, method), secure);
      account = principal.account;
      await handler({ req, res, route, query, storage, config, principal, logger, ...(deps.proxy ? { proxy: deps.proxy } : {}) });
    };
    run().catch((err: unknown) => {
      drain(req);
      const e = sendError(res, err, method === 'HEAD');
      errorCode = e.code;
      if (e.status >= 500) logger.error('request failed', { method, path, error: (e.cause as Error) ?? e });
    });
  };
}
