/**
 * Reading files inside a container's root filesystem from the host. Symlinks in the container are
 * resolved against the container root, never the host's: `/etc/passwd -> /host/secret` must not
 * read the host's file. Node has no openat2(RESOLVE_IN_ROOT), so components are walked by hand.
 */
import { lstat, readlink, readFile, mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode, InvalidArgumentError } from './errors.js';

const maxLinks = 40;

/**
 * Resolves `path` (absolute inside the container) to a host path under `root`, following symlinks
 * as the kernel would inside a chroot. Missing trailing components are allowed (the result is
 * where they would be).
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const parts = posix.normalize('/' + path).split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = posix.join(root, ...resolved, part);
    let st;
    try {
      st = await lstat(hostPath);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
        resolved.push(part, ...parts.filter((p) => p !== '.'));
        return posix.join(root, ...normalizeParts(resolved));
      }
      throw err;
    }
    if (st.isSymbolicLink()) {
      if (++links > maxLinks) throw new InvalidArgumentError(`too many levels of symbolic links in ${path}`);
      const target = await readlink(hostPath);
      const targetParts = target.split('/').filter(Boolean);
      if (target.startsWith('/')) resolved.length = 0;
      parts.unshift(...targetParts);
      continue;
    }
    resolved.push(part);
  }
  return posix.join(root, ...resolved);
}

function normalizeParts(parts: string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.') out.push(p);
  }
  return out;
}

/** Reads a file inside the root, or null when it does not exist. */
export async function readFileInRoot(root: string, path: string): Promise<string | null> {
  try {
    return await readFile(await resolveInRoot(root, path), 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw err;
  }
}

/** mkdir -p inside the root, resolving symlinks in the container's view. */
export async function mkdirInRoot(root: string, path: string, mode = 0o755): Promise<string> {
  const host = await resolveInRoot(root, path);
  await mkdir(host, { recursive: true, mode });
  return host;
}
