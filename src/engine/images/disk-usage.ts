/**
 * The image part of `docker system df`: which images are listed (intermediate images, untagged
 * with children, are not), how many containers use each, what each shares with others, and the
 * bytes all listed images' layers take once (LayersSize), as Docker's image service computes them.
 */
import type { ImageRecord } from '../../images/index.js';
import { chainIds } from '../../images/index.js';

export interface ImageUsage {
  readonly img: ImageRecord;
  /** Sum of the image's layer sizes. */
  readonly size: number;
  /** Bytes of its layers that another image uses as well. */
  readonly sharedSize: number;
  /** Containers created from it. */
  readonly containers: number;
}

export interface ImageDiskUsage {
  readonly layersSize: number;
  readonly images: ImageUsage[];
}

export interface UsageInput {
  readonly images: readonly ImageRecord[];
  /** Whether the image has references (tags or digests). */
  hasRefs(id: string): boolean;
  /** Whether a local image names it as parent. */
  hasChildren(id: string): boolean;
  /** The image id of every container. */
  readonly containerImages: readonly string[];
}

export function imageDiskUsage(input: UsageInput): ImageDiskUsage {
  const layerSize = new Map<string, number>();
  const refCount = new Map<string, number>();
  const chains = new Map<string, string[]>();
  for (const img of input.images) {
    const c = chainIds(img.layers.map((l) => l.diffId));
    chains.set(img.id, c);
    c.forEach((k, i) => {
      if (!layerSize.has(k)) layerSize.set(k, img.layers[i]!.size);
      refCount.set(k, (refCount.get(k) ?? 0) + 1);
    });
  }
  const top = input.images.filter((i) => input.hasRefs(i.id) || !input.hasChildren(i.id));
  const counted = new Set<string>();
  let layersSize = 0;
  for (const img of top) {
    for (const k of chains.get(img.id)!) {
      if (counted.has(k)) continue;
      counted.add(k);
      layersSize += layerSize.get(k)!;
    }
  }
  const images = top.map((img) => {
    const c = chains.get(img.id)!;
    const size = c.reduce((n, k) => n + layerSize.get(k)!, 0);
    const sharedSize = c.filter((k) => refCount.get(k)! > 1).reduce((n, k) => n + layerSize.get(k)!, 0);
    return { img, size, sharedSize, containers: input.containerImages.filter((id) => id === img.id).length };
  });
  return { layersSize, images };
}
