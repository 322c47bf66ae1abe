/**
 * `berth registry serve`: an OCI distribution registry server. Imports only distribution/ and util/
 * (plus node:*, yaml, bcryptjs); nothing of the engine.
 */
export { startRegistryServer, type RunningRegistry } from './registry-server.js';
export { resolveConfig, configFromYaml, configDefaults, ConfigError, type RegistryConfig, type ConfigInput } from './config.js';
export { RegistryStorage } from './storage/index.js';
