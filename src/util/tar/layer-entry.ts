/** A tar entry as the layer extractor sees it: decoded, typed, PAX records applied. */
import type { LayerFsOps } from './fs-ops.js';
import type { TarEntryType } from './tar-entry.js';

export type WhiteoutFormat = 'overlay' | 'apply';

export interface LayerExtractorOptions {
  readonly whiteoutFormat: WhiteoutFormat;
  readonly fsOps?: LayerFsOps;
  readonly ignoreXattrs?: boolean;
}

export type LayerEntryType = TarEntryType;

/** One tar entry, decoded and typed (the name is still raw, as in the archive). */
export interface LayerEntry {
  readonly rawName: string;
  readonly type: LayerEntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch (fractional from PAX). */
  readonly mtime: number;
  readonly atime: number;
  readonly size: number;
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  readonly xattrs: ReadonlyMap<string, Buffer>;
}
