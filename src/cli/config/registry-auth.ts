/** The X-Registry-Auth a command sends for an image, from the user's stored credentials. */
import { parseReference } from '../../util/reference.js';
import type { CliContext } from '../context.js';
import { CredentialStore, authKeyForHost, encodeRegistryAuth } from './credential-store.js';

/**
 * Credentials for the registry of `image` (docker's ResolveAuthConfig), encoded for the header.
 * An unreadable config file or failing helper is reported on stderr and the request goes without
 * credentials, as the docker CLI does.
 */
export async function registryAuthFor(ctx: CliContext, image: string): Promise<string> {
  let domain: string;
  try {
    domain = parseReference(image).domain;
  } catch {
    return '';
  }
  const key = authKeyForHost(domain);
  try {
    const store = await CredentialStore.open(ctx.env);
    return encodeRegistryAuth({ ...(await store.get(key)), serveraddress: key });
  } catch (err) {
    ctx.stderr.write(`WARNING: could not read credentials for ${key}: ${(err as Error).message}\n`);
    return encodeRegistryAuth({ serveraddress: key });
  }
}
