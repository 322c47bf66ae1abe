/**
 * Turns a read archive into the images it holds, checking everything that can be checked
 * without unpacking: which format it is (manifest.json → `docker save`, else index.json and
 * oci-layout → OCI layout), every path, every descriptor's size, each config's digest against
 * the image id it is named by, the number of layers against the config's diff_ids, and the tags.
 * Layer contents are verified against their diff ids later, while they are unpacked.
 */
import {
  imageManifestTypes,
  layerCompression,
  maxManifestBytes,
  mediaTypes,
  parseManifest,
  platformMatches,
  selectPlatformManifest,
  formatPlatform,
  type Descriptor,
  type Platform,
} from '../../distribution/index.js';
import { digestHex, sha256Digest, type Digest } from '../../util/digest.js';
import { InvalidArgumentError, errorMessage } from '../../util/errors.js';
import { parseReference, type Reference } from '../../util/reference.js';
import type { ImageConfig } from '../oci-types.js';
import type { ArchiveFile, ArchiveTree } from './archive-tree.js';
import { parseDockerManifest } from './docker-manifest.js';
import { isNestedIndex, nameFromAnnotations, parseArchiveIndex, parseOciLayoutFile } from './oci-layout.js';
import { parseImageConfig } from './parse-image-config.js';

export interface PlannedLayer {
  readonly file: ArchiveFile;
  readonly diffId: Digest;
  /** Where the archive names it, for messages (`manifest.json[0].Layers[1]`). */
  readonly where: string;
}

export interface PlannedImage {
  /** The config digest. */
  readonly id: Digest;
  readonly configBytes: Buffer;
  readonly config: ImageConfig;
  readonly layers: readonly PlannedLayer[];
  /** Tags in archive order, each with a tag and no digest. */
  readonly tags: Reference[];
}

export interface ArchivePlan {
  readonly format: 'docker' | 'oci';
  readonly images: PlannedImage[];
}

export interface PlanOptions {
  /** The bytes of a file (from memory or the blob store); the caller has checked `maxBytes` against its size. */
  readBytes(file: ArchiveFile): Promise<Buffer>;
  /** The platform chosen from multi-platform indexes (the host's by default). */
  readonly platform: Platform;
  /** Largest config read (default 8 MiB). */
  readonly maxConfigBytes?: number;
}

const imageConfigTypes: readonly string[] = [mediaTypes.ociConfig, mediaTypes.dockerConfig];

async function readLimited(opts: PlanOptions, file: ArchiveFile, limit: number, what: string): Promise<Buffer> {
  if (file.size > limit) throw new InvalidArgumentError(`invalid archive: ${what} is ${file.size} bytes, more than the ${limit} bytes allowed`);
  return opts.readBytes(file);
}

export async function planArchive(tree: ArchiveTree, opts: PlanOptions): Promise<ArchivePlan> {
  if (tree.hasFile('manifest.json')) return { format: 'docker', images: await planDocker(tree, opts) };
  if (tree.hasFile('index.json')) return { format: 'oci', images: await planOci(tree, opts) };
  throw new InvalidArgumentError('invalid archive: does not contain a manifest.json (docker save) or an index.json (OCI image layout)');
}

/** Adds `img` to `out`, merging the tags of an image listed twice. */
function addImage(out: PlannedImage[], img: PlannedImage): void {
  const seen = out.find((o) => o.id === img.id);
  if (!seen) {
    out.push(img);
    return;
  }
  for (const t of img.tags) if (!seen.tags.some((s) => s.domain === t.domain && s.path === t.path && s.tag === t.tag)) seen.tags.push(t);
}

async function planDocker(tree: ArchiveTree, opts: PlanOptions): Promise<PlannedImage[]> {
  const maxConfig = opts.maxConfigBytes ?? 8 * 1024 * 1024;
  const items = parseDockerManifest(await readLimited(opts, tree.file('manifest.json', 'file'), 8 * 1024 * 1024, 'manifest.json'));
  const out: PlannedImage[] = [];
  for (const [i, item] of items.entries()) {
    const where = `manifest.json[${i}]`;
    const configFile = tree.file(item.Config, `${where}.Config`);
    const configBytes = await readLimited(opts, configFile, maxConfig, `${where}.Config`);
    const id = sha256Digest(configBytes);
    // `<hex>.json` (Docker 20.10) and `blobs/sha256/<hex>` (Docker 25+) name the image id.
    const named = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(item.Config);
    if (named && digestHex(id) !== named[1]) {
      throw new InvalidArgumentError(`invalid archive: the config ${item.Config} has the digest ${id}, not the image id its name gives`);
    }
    const config = parseImageConfig(configBytes, item.Config);
    const diffIds = config.rootfs.diff_ids;
    if (item.Layers.length !== diffIds.length) {
      throw new InvalidArgumentError(`invalid manifest, layers length mismatch: expected ${item.Layers.length}, got ${diffIds.length}`);
    }
    const layers = item.Layers.map((p, j) => ({ file: tree.file(p, `${where}.Layers[${j}]`), diffId: diffIds[j]!, where: `${where}.Layers[${j}]` }));
    const tags = (item.RepoTags ?? []).map((t) => dockerTag(t));
    addImage(out, { id, configBytes, config, layers, tags });
  }
  return out;
}

/** A RepoTags entry: a name with a tag, as Docker requires (`invalid tag "x"` otherwise). */
function dockerTag(text: string): Reference {
  let ref: Reference;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw new InvalidArgumentError(`invalid archive: RepoTags entry ${JSON.stringify(text)}: ${errorMessage(err)}`);
  }
  if (ref.tag === undefined || ref.digest !== undefined) throw new InvalidArgumentError(`invalid tag ${JSON.stringify(text)}`);
  return ref;
}

function blobFile(tree: ArchiveTree, d: Descriptor, what: string): ArchiveFile {
  const file = tree.file(`blobs/sha256/${digestHex(d.digest)}`, `${what} blob`);
  if (file.size !== d.size) throw new InvalidArgumentError(`invalid OCI layout: ${what} ${d.digest} is ${file.size} bytes, its descriptor says ${d.size}`);
  return file;
}

async function planOci(tree: ArchiveTree, opts: PlanOptions): Promise<PlannedImage[]> {
  if (!tree.hasFile('oci-layout')) throw new InvalidArgumentError('invalid OCI layout: index.json without an oci-layout file');
  parseOciLayoutFile(await readLimited(opts, tree.file('oci-layout', 'file'), 4096, 'oci-layout'));
  const index = parseArchiveIndex(await readLimited(opts, tree.file('index.json', 'file'), maxManifestBytes, 'index.json'), 'index.json');
  const out: PlannedImage[] = [];
  let skipped = 0;
  for (const [i, top] of index.manifests.entries()) {
    const where = `index.json manifests[${i}]`;
    const tag = nameFromAnnotations(top.annotations);
    let desc: Descriptor | undefined = top;
    if (isNestedIndex(top)) {
      const nested = parseArchiveIndex(await readLimited(opts, blobFile(tree, top, where), maxManifestBytes, where), `${where} (${top.digest})`);
      desc = selectPlatformManifest(nested, opts.platform);
      if (!desc) throw new InvalidArgumentError(`invalid OCI layout: ${where} has no image for ${formatPlatform(opts.platform)}`);
    } else if (!imageManifestTypes.includes(top.mediaType)) {
      throw new InvalidArgumentError(`invalid OCI layout: ${where} has the unsupported media type ${top.mediaType}`);
    } else if (top.platform && !platformMatches(top.platform, opts.platform)) {
      skipped++;
      continue;
    }
    const img = await planOciImage(tree, opts, desc, where);
    if (!img) {
      skipped++;
      continue;
    }
    if (tag) img.tags.push(tag);
    addImage(out, img);
  }
  if (out.length === 0 && skipped > 0) {
    throw new InvalidArgumentError(`invalid OCI layout: none of its ${skipped} manifests is an image for ${formatPlatform(opts.platform)}`);
  }
  return out;
}

/** One image manifest of the layout; null for an artifact that is not a container image. */
async function planOciImage(tree: ArchiveTree, opts: PlanOptions, desc: Descriptor, where: string): Promise<PlannedImage | null> {
  const bytes = await readLimited(opts, blobFile(tree, desc, where), maxManifestBytes, where);
  let parsed;
  try {
    parsed = parseManifest(bytes, desc.mediaType);
  } catch (err) {
    throw new InvalidArgumentError(`invalid OCI layout: ${where} (${desc.digest}): ${errorMessage(err)}`);
  }
  if (parsed.kind !== 'image') throw new InvalidArgumentError(`invalid OCI layout: ${where} (${desc.digest}) is not an image manifest`);
  const m = parsed.manifest;
  if (!imageConfigTypes.includes(m.config.mediaType)) return null;
  const configFile = blobFile(tree, m.config, `${where} config`);
  const configBytes = await readLimited(opts, configFile, opts.maxConfigBytes ?? 8 * 1024 * 1024, `${where} config`);
  const config = parseImageConfig(configBytes, m.config.digest);
  const diffIds = config.rootfs.diff_ids;
  if (m.layers.length !== diffIds.length) {
    throw new InvalidArgumentError(`invalid manifest, layers length mismatch: expected ${m.layers.length}, got ${diffIds.length}`);
  }
  const layers = m.layers.map((l, j) => {
    const what = `${where} layers[${j}]`;
    if (layerCompression(l.mediaType) === undefined) throw new InvalidArgumentError(`invalid OCI layout: ${what} has the unsupported media type ${l.mediaType}`);
    return { file: blobFile(tree, l, what), diffId: diffIds[j]!, where: what };
  });
  return { id: m.config.digest, configBytes, config, layers, tags: [] };
}
