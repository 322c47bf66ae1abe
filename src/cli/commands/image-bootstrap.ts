/**
 * `image bootstrap busybox [REPO[:TAG]]` (Berth's own): a minimal root filesystem from the
 * host's static busybox, imported as an image (busybox:latest by default).
 */
import { execFile } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { TarEntry } from '../../util/tar/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError } from '../context.js';
import { importImage } from './image-import.js';

const pexecFile = promisify(execFile);

export const defaultBusybox = '/bin/busybox';
export const bootstrapChanges = ['CMD ["sh"]', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n';
const group = 'root:x:0:\nnobody:x:65534:\n';

/**
 * The entries of the busybox root filesystem, sorted by name (parents before children), all
 * with the same mtime. `applets` are root-relative paths from `busybox --list-full`.
 */
export function busyboxEntries(busyboxPath: string, applets: readonly string[], mtime: Date): TarEntry[] {
  const dirs = new Map<string, number>([
    ['bin', 0o755],
    ['dev', 0o755],
    ['etc', 0o755],
    ['home', 0o755],
    ['proc', 0o555],
    ['root', 0o700],
    ['sys', 0o555],
    ['tmp', 0o1777],
    ['usr', 0o755],
    ['usr/bin', 0o755],
    ['usr/sbin', 0o755],
    ['var', 0o755],
  ]);
  const links = new Set<string>();
  for (const raw of applets) {
    const name = raw.trim().replace(/^\/+/, '');
    if (name === '' || name === 'bin/busybox' || name.split('/').some((p) => p === '..' || p === '.')) continue;
    links.add(name);
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) dirs.set(d, 0o755);
    }
  }
  const entries: TarEntry[] = [];
  for (const [name, mode] of dirs) entries.push({ name, type: 'directory', mode, mtime });
  entries.push({ name: 'bin/busybox', type: 'file', mode: 0o755, mtime, content: { path: busyboxPath } });
  entries.push({ name: 'etc/group', type: 'file', mode: 0o644, mtime, content: group });
  entries.push({ name: 'etc/passwd', type: 'file', mode: 0o644, mtime, content: passwd });
  for (const l of links) {
    if (dirs.has(l)) continue;
    entries.push({ name: l, type: 'symlink', mode: 0o777, mtime, linkname: '/bin/busybox' });
  }
  const key = (e: TarEntry) => e.name.split('/');
  entries.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    }
    return ka.length - kb.length;
  });
  return entries;
}

/**
 * True when `head` (the start of an ELF file, with its program headers) names an interpreter
 * (PT_INTERP): a dynamically linked program, which would not run in the bare image.
 */
export function isDynamicElf(head: Buffer): boolean {
  if (head.length < 52 || head.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = head[4] === 2;
  const le = head[5] === 1;
  const u16 = (o: number) => (le ? head.readUInt16LE(o) : head.readUInt16BE(o));
  const u32 = (o: number) => (le ? head.readUInt32LE(o) : head.readUInt32BE(o));
  const phoff = is64 ? Number(le ? head.readBigUInt64LE(0x20) : head.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (o + 4 > head.length) break;
    if (u32(o) === 3) return true;
  }
  return false;
}

export const bootstrapCommand: CommandImpl = {
  flags: [{ name: 'busybox', kind: 'string', usage: 'Path of the static busybox binary to use', default: defaultBusybox }],
  args: { min: 1, max: 2 },
  async run(ctx, f) {
    const [what, reference = 'busybox:latest'] = f.args as [string, string?];
    if (what !== 'busybox') throw new StatusError(1, `unknown bootstrap image "${what}": only busybox can be bootstrapped`);
    const bb = f.string('busybox');
    let info;
    try {
      info = await stat(bb);
    } catch {
      throw new StatusError(1, `busybox not found at ${bb}; install a static busybox or point --busybox at one`);
    }
    if (!info.isFile()) throw new StatusError(1, `${bb} is not a regular file`);
    const fh = await open(bb, 'r');
    const head = Buffer.alloc(4096);
    try {
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
    if (isDynamicElf(head)) throw new StatusError(1, `${bb} is dynamically linked; the image needs a static busybox (e.g. the busybox-static package)`);
    let applets: string[];
    try {
      const { stdout } = await pexecFile(bb, ['--list-full'], { maxBuffer: 4 * 1024 * 1024 });
      applets = stdout.split('\n').filter((l) => l.trim() !== '');
    } catch (err) {
      throw new StatusError(1, `cannot list the applets of ${bb}: ${(err as Error).message}`);
    }
    const mtime = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
    const { packEntries } = await import('../../util/tar/index.js');
    const tar = packEntries(busyboxEntries(bb, applets, mtime), { mtime });
    const client = await ctx.client();
    let id = '';
    for await (const m of importImage(client, { source: tar, reference, changes: bootstrapChanges, message: '', platform: '' })) {
      if (m.error || m.errorDetail?.message) throw new StatusError(1, m.errorDetail?.message || m.error || 'import failed');
      if (m.status) id = m.status;
    }
    ctx.stdout.write(`${id}\n`);
  },
};
