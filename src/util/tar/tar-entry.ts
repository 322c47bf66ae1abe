/** An archive entry described in memory: what packEntries writes and packDirectory produces. */

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'character-device' | 'block-device' | 'fifo';

/** A regular file's content read from the host at pack time (never through a final symlink). */
export interface TarFileSource {
  readonly path: string;
  /** Bytes to store; the file's size when it is opened if not given. A shorter file fails the pack. */
  readonly size?: number;
}

export interface TarEntry {
  /** Root-relative, '/'-separated (`bin/sh`); a leading `/` or `./` and a trailing `/` are dropped. */
  readonly name: string;
  readonly type: TarEntryType;
  /** Permission bits with setuid/setgid/sticky (masked to 0o7777). Default 0o755 for directories, 0o777 for symlinks, 0o644 otherwise. */
  readonly mode?: number;
  /** Default 0. */
  readonly uid?: number;
  /** Default 0. */
  readonly gid?: number;
  /** Stored in whole seconds. Default: the pack's `mtime` option, else the epoch. */
  readonly mtime?: Date;
  /** Symlinks: the link text, stored as is. Hardlinks: the name of an earlier non-directory entry. */
  readonly linkname?: string;
  /** Regular files: the bytes (a string is UTF-8), or a host file to copy. Default empty. */
  readonly content?: Uint8Array | string | TarFileSource;
  /** Device numbers of character and block devices. */
  readonly devmajor?: number;
  readonly devminor?: number;
  /** Extended attributes, stored as `SCHILY.xattr.<name>` PAX records with byte-exact values. */
  readonly xattrs?: ReadonlyMap<string, Uint8Array>;
}
