/**
 * The OCI runtime spec builder: pure functions from the engine's decisions to runc's
 * `config.json`, with Docker's defaults for a non-privileged container. Write the result with
 * `serializeOciSpec` (an unlimited rlimit is a bigint that JSON.stringify refuses).
 */
export {
  buildOciSpec,
  defaultMaskedPaths,
  defaultReadonlyPaths,
  type OciSpecInput,
  type ProcessInput,
  type NamespaceInput,
  type NetworkNamespaceInput,
} from './build-oci-spec.js';
export {
  resolveCapabilities,
  normalizeCapabilities,
  isKnownCapability,
  capabilityMask,
  capabilitiesFromMask,
  knownCapabilities,
  defaultCapabilities,
  type CapabilityRequest,
} from './capabilities.js';
export { resolveUser, parsePasswd, parseGroup, type ResolvedUser, type UserFiles, type PasswdEntry, type GroupEntry } from './resolve-user.js';
export { defaultEnv, replaceOrAppendEnv, defaultPathEnv, type DefaultEnvInput } from './default-env.js';
export {
  parseTmpfsMountOptions,
  parseTmpfsFlag,
  mergeTmpfsOptions,
  tmpfsOptionsFromMount,
  defaultTmpfsOptions,
} from './tmpfs-options.js';
export {
  buildMounts,
  defaultMounts,
  defaultShmSize,
  initPathInContainer,
  type BindMountInput,
  type TmpfsMountInput,
  type MountTableInput,
} from './mounts.js';
export { buildResources, defaultDeviceRules, type ResourcesInput } from './resources.js';
export { resolveRlimits, parseUlimit, validateUlimit, ulimitNames, defaultNofile, type Ulimit, type RlimitOptions } from './rlimits.js';
export { validateSysctls, defaultNetworkSysctls, type SysctlNamespaces } from './sysctls.js';
export { serializeOciSpec, serializeOciJson } from './serialize-oci-spec.js';
export * from './oci-types.js';
