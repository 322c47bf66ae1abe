export * from './media-types.js';
export * from './descriptor.js';
export * from './manifest.js';
export * from './registry-errors.js';
export * from './repository-name.js';
export * from './platform.js';
