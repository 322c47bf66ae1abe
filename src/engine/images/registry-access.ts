/**
 * The one module that builds the registry client (src/distribution/client). Everything else in
 * the engine talks to registries through the RegistryAccess it returns; the client's
 * RegistryRepository is a RemoteRepository.
 */
import { RegistryClient } from '../../distribution/client/index.js';
import type { Logger } from '../../util/log.js';
import type { RegistryAccess, RegistryAccessOptions } from './remote.js';

export function createRegistryAccess(opts: RegistryAccessOptions, log: Logger): RegistryAccess {
  return new RegistryClient({
    insecureRegistries: [...opts.insecureRegistries],
    mirrors: [...opts.mirrors],
    ...(opts.certsDirs ? { certsDirs: [...opts.certsDirs] } : {}),
    userAgent: opts.userAgent,
    logger: log,
  });
}
