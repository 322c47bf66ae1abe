/**
 * Registry endpoints: pull (`POST /images/create?fromImage=`), `POST /images/{name}/push`,
 * `GET /distribution/{name}/json` and `POST /auth`, as moby's image, distribution and system
 * routers answer them.
 */
import type { Engine } from '../../../engine/index.js';
import { credentialsOf, toAuthConfig } from '../../../engine/index.js';
import { parsePlatform, type Platform } from '../../../distribution/index.js';
import { InternalError, InvalidArgumentError, UnauthorizedError } from '../../../util/errors.js';
import type { RequestContext } from '../context.js';
import { decodeRegistryAuth, JsonProgressStream } from '../json-progress.js';
import { compareVersions, type Router } from '../router.js';

/**
 * Docker answers a registry's refusal during pull and push with 500 (errdefs.Unknown), never 401:
 * a 401 from the daemon makes the docker CLI stop and ask for a login interactively.
 */
function registryRefusal(err: unknown): unknown {
  if (err instanceof UnauthorizedError) return new InternalError(err.message, { cause: err });
  return err;
}

/** Credentials from X-Registry-Auth; an undecodable header counts as none (Docker's pull rule). */
function headerCredentials(ctx: RequestContext, strict: boolean) {
  let decoded: unknown;
  try {
    decoded = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  } catch (err) {
    if (strict) throw new InvalidArgumentError(`invalid X-Registry-Auth header: ${(err as Error).message}`);
    return undefined;
  }
  try {
    return credentialsOf(toAuthConfig(decoded));
  } catch (err) {
    if (strict) throw err;
    return undefined;
  }
}

function platformParam(ctx: RequestContext): Platform | undefined {
  if (compareVersions(ctx.apiVersion, '1.32') < 0) return undefined;
  const p = ctx.query.get('platform');
  return p ? parsePlatform(p) : undefined;
}

/** The pull half of `POST /images/create` (the import half stays with the image routes). */
export async function pullImage(ctx: RequestContext, engine: Engine, fromImage: string): Promise<void> {
  const platform = platformParam(ctx);
  const credentials = headerCredentials(ctx, false);
  const out = new JsonProgressStream(ctx);
  try {
    await engine.distribution.pull({
      image: fromImage,
      tag: ctx.query.get('tag') || undefined,
      ...(platform ? { platform } : {}),
      ...(credentials ? { credentials } : {}),
      signal: out.signal,
      out,
    });
    out.end();
  } catch (err) {
    out.fail(registryRefusal(err));
  }
}

export function registerDistributionRoutes(router: Router, engine: Engine): void {
  router.add('POST', '/images/{name*}/push', async (ctx) => {
    let credentials;
    if (ctx.req.headers['x-registry-auth']) credentials = headerCredentials(ctx, true);
    else {
      // Old clients sent the AuthConfig as the body.
      const body = await ctx.bodyBuffer();
      if (body.length) {
        try {
          credentials = credentialsOf(toAuthConfig(JSON.parse(body.toString('utf8'))));
        } catch (err) {
          throw new InvalidArgumentError(`Bad parameters and missing X-Registry-Auth: ${(err as Error).message}`);
        }
      }
    }
    const out = new JsonProgressStream(ctx);
    try {
      await engine.distribution.push({
        image: ctx.params.name!,
        tag: ctx.query.get('tag') || undefined,
        ...(credentials ? { credentials } : {}),
        signal: out.signal,
        out,
      });
      out.end();
    } catch (err) {
      out.fail(registryRefusal(err));
    }
  });

  router.add('GET', '/distribution/{name*}/json', async (ctx) => {
    const credentials = headerCredentials(ctx, false);
    ctx.send(200, await engine.distribution.inspect(ctx.params.name!, credentials));
  });

  router.add('POST', '/auth', async (ctx) => {
    const auth = toAuthConfig(await ctx.json<unknown>());
    ctx.send(200, await engine.distribution.login(auth));
  });
}
