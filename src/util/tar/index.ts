/**
 * Tar streams: safe layer extraction (applyLayer) and deterministic packing (packEntries,
 * packDirectory). The syscalls Node lacks (mknod, xattrs) are injected; see fs-ops.ts.
 */
export { applyLayer, type ApplyLayerOptions, type ApplyLayerResult } from './apply-layer.js';
export type { WhiteoutFormat } from './layer-entry.js';
export { packEntries, type PackEntriesOptions } from './pack-entries.js';
export { packDirectory, type PackDirectoryOptions } from './pack-directory.js';
export type { TarEntry, TarEntryType, TarFileSource } from './tar-entry.js';
export type { LayerFsOps, XattrReader } from './fs-ops.js';
export { RecordingFsOps, type FsOpCall } from './recording-fs-ops.js';
