export { RegistryAuth, AuthChallengeError, parseBasic, type Principal } from './registry-auth.js';
export { TokenIssuer } from './token-issuer.js';
export { TokenKey, signToken, verifyToken, TokenInvalidError } from './jwt.js';
export { Htpasswd, HtpasswdError, parseHtpasswd } from './htpasswd.js';
export { AccessPolicy, covers, parseScopes, formatScope, defaultAccessRules, type AccessRule, type ResourceAccess } from './scope.js';
