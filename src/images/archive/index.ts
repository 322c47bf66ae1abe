/** Image archives: `docker save` tarballs and OCI image layouts, read and written. */
export { cleanArchivePath } from './archive-path.js';
export { ArchiveTree, type ArchiveFile, type ArchiveNode } from './archive-tree.js';
export { readArchive, isMetadataPath, type ReadArchiveOptions, type StoredBlob } from './archive-reader.js';
export { planArchive, type ArchivePlan, type PlannedImage, type PlannedLayer, type PlanOptions } from './archive-plan.js';
export { writeDockerArchive, writeOciArchive, type ArchiveSource, type SavedImage, type SizedStream } from './archive-writer.js';
export { parseDockerManifest, encodeDockerManifest, type DockerManifestItem } from './docker-manifest.js';
export { legacyLayers, encodeRepositories, type LegacyLayer } from './legacy-layers.js';
export { annotationImageName, annotationRefName, nameFromAnnotations, ociLayerMediaType } from './oci-layout.js';
export { parseImageConfig } from './parse-image-config.js';
