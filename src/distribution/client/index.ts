/**
 * The registry client library (OCI distribution spec 1.1, Docker registry auth): used by the
 * engine's pull and push and by the registry's pull-through cache. See types.ts for the contract.
 */
export * from './types.js';
export { RegistryClient, defaultUserAgent } from './registry-client.js';
export { RegistryConnectionError } from './connection-error.js';
export { authConfigKey, dockerHubAuthKey, dockerHubApiHost, dockerHubName, normalizeRegistryHost, parseMirror } from './registry-host.js';
export { InsecureRegistries } from './insecure-registries.js';
export { defaultCertsDirs, loadHostTlsMaterial } from './certs-dir.js';
export { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';
export { mergeScopes, parseScope, repositoryScope, type Scope } from './scope.js';
export { describeRegistryError } from './response-errors.js';
