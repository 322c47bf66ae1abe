/**
 * `docker history`: one entry per history record of the image config, newest first. Entries
 * that made a layer carry that layer's size; the newest carries the image's id and tags, older
 * ones `<missing>` unless a local parent image produced them (as Docker walks `Parent`).
 */
import type { ImageRecord } from '../../images/index.js';
import { InternalError } from '../../util/errors.js';
import { parseRfc3339Ns } from '../../util/time.js';

/** Docker's HistoryResponseItem, fields in its order. */
export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface HistoryLookup {
  get(id: string): ImageRecord | undefined;
  /** Familiar `name:tag` tags of an image. */
  tagsOf(id: string): string[];
}

export function imageHistory(img: ImageRecord, lookup: HistoryLookup): HistoryItem[] {
  const out: HistoryItem[] = [];
  let layer = 0;
  for (const h of img.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      if (layer >= img.layers.length) throw new InternalError('too many non-empty layers in History section');
      size = img.layers[layer]!.size;
      layer++;
    }
    const ns = h.created ? parseRfc3339Ns(h.created) : null;
    out.unshift({ Id: '<missing>', Created: ns === null ? 0 : Number(ns / 1_000_000_000n), CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' });
  }
  // Fill in ids and tags down the chain of local parents.
  let current: ImageRecord | undefined = img;
  for (const item of out) {
    if (!current) break;
    item.Id = current.id;
    const tags = lookup.tagsOf(current.id);
    item.Tags = tags.length ? tags : null;
    current = current.parent ? lookup.get(current.parent) : undefined;
  }
  return out;
}
