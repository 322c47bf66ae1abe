export { RegistryStorage, referrerDescriptor, type BlobBody, type BlobFile, type StoredManifest, type RegistryStorageOptions } from './registry-storage.js';
export type { BlobInfo } from './blob-store.js';
export type { UploadSession } from './upload-store.js';
export { isUploadId } from './upload-store.js';
export type { GcStats } from './garbage-collector.js';
export { StoragePaths } from './paths.js';
