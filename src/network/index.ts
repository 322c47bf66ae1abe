export { hostnameFile, hostsFile, resolvConfFor, readHostFile, type NetworkMode } from './etc-files.js';
