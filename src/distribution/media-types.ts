/**
 * Media types of the OCI image spec 1.1 and Docker's schema 2, the only manifest formats Berth
 * reads, stores and serves. Shared by the registry client, the registry server and the image store.
 */
export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** Docker schema 1: recognised so it can be refused by name, never served or stored. */
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** Manifest types that describe one image (config + layers). */
export const imageManifestTypes: readonly string[] = [mediaTypes.ociManifest, mediaTypes.dockerManifest];

/** Manifest types that list other manifests (per platform, or artifacts). */
export const indexManifestTypes: readonly string[] = [mediaTypes.ociIndex, mediaTypes.dockerManifestList];

/** Every manifest type Berth accepts, in the order a client should prefer them in `Accept`. */
export const manifestMediaTypes: readonly string[] = [
  mediaTypes.ociIndex,
  mediaTypes.dockerManifestList,
  mediaTypes.ociManifest,
  mediaTypes.dockerManifest,
];

export function isManifestMediaType(mediaType: string): boolean {
  return manifestMediaTypes.includes(mediaType);
}

export function isIndexMediaType(mediaType: string): boolean {
  return indexManifestTypes.includes(mediaType);
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/** How a layer blob of this media type is compressed, or undefined when it is not a layer type. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case mediaTypes.ociLayer:
    case mediaTypes.ociLayerNondistributable:
    case mediaTypes.dockerLayer:
      return 'none';
    case mediaTypes.ociLayerGzip:
    case mediaTypes.ociLayerNondistributableGzip:
    case mediaTypes.dockerLayerGzip:
    case mediaTypes.dockerLayerForeign:
      return 'gzip';
    case mediaTypes.ociLayerZstd:
    case mediaTypes.ociLayerNondistributableZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

/** The media type without parameters (`; charset=utf-8`), lower-cased, as compared in negotiation. */
export function bareMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}
