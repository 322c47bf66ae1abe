export * from './oci-types.js';
export { chainIds } from './chain-id.js';
export { applyConfigChanges, parseJsonArray, parseKeyValuePairs } from './config-changes.js';
export * from './archive/index.js';
export {
  ImageStore,
  type ImageRecord,
  type ImageRef,
  type LayerRecord,
  type LayerUnpacker,
  type Lease,
  type ManifestOrigin,
  type NewImage,
  type UnpackedLayer,
} from './image-store.js';
export { DistributionMetadata } from './distribution-metadata.js';
