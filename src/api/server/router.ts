/**
 * Routes `METHOD /path/{param}` patterns to handlers. Docker's version prefix (`/v1.45`) is
 * stripped first; versions outside the supported range are refused as Docker refuses them.
 */
import { InvalidArgumentError, NotFoundError } from '../../util/errors.js';
import type { RequestContext } from './context.js';

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export const minApiVersion = '1.24';
export const maxApiVersion = '1.45';

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

export function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/** Splits `/v1.45/containers/json` into the version and the rest; validates the version. */
export function splitVersion(path: string): { version: string; rest: string } {
  const m = /^\/v([0-9]+\.[0-9]+)(\/.*)?$/.exec(path);
  if (!m) return { version: maxApiVersion, rest: path };
  const version = m[1]!;
  if (compareVersions(version, maxApiVersion) > 0) {
    throw new InvalidArgumentError(`client version ${version} is too new. Maximum supported API version is ${maxApiVersion}`);
  }
  if (compareVersions(version, minApiVersion) < 0) {
    throw new InvalidArgumentError(`client version ${version} is too old. Minimum supported API version is ${minApiVersion}, please upgrade your client to a newer version`);
  }
  return { version, rest: m[2] ?? '/' };
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    // `{name}` matches one segment; `{name*}` matches the rest (image names contain slashes).
    const src = pattern.replace(/[.+?^$()[\]\\|]/g, '\\$&').replace(/\{(\w+)(\*?)\}/g, (_m, name: string, star: string) => {
      names.push(name);
      return star ? '(.+?)' : '([^/]+)';
    });
    this.routes.push({ method, regex: new RegExp(`^${src}/?$`), names, handler });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      return { handler: r.handler, params };
    }
    if (pathMatched) throw new MethodNotAllowed();
    throw new NotFoundError('page not found');
  }
}

export class MethodNotAllowed extends Error {}
