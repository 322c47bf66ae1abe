/**
 * The one module that builds the registry client (src/distribution/client). Everything else in
 * the engine talks to registries through the RegistryAccess it returns.
 */
import { NotImplementedError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { RegistryAccess, RegistryAccessOptions } from './remote.js';

export function createRegistryAccess(_opts: RegistryAccessOptions, _log: Logger): RegistryAccess {
  const missing = (): never => {
    throw new NotImplementedError('this build of berthd has no registry client yet (src/distribution/client); pulling, pushing and login are not available');
  };
  return { repository: missing, login: missing };
}
