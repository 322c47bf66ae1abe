/**
 * `save` / `image save`: the archive streams to stdout (never to a terminal) or, with `-o`, to a
 * file that appears only when complete (written beside it, fsynced, renamed), as docker's
 * atomic writer does. `--format oci` asks for an OCI image layout instead of `docker save`'s.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CommandImpl } from '../command.js';
import { StatusError, type CliContext } from '../context.js';

/** docker's ValidateOutputPath: the directory must exist; an existing path must be a file or directory. */
async function validateOutputPath(path: string): Promise<void> {
  const dir = dirname(path);
  if (dir !== '.' && !(await stat(dir).then(() => true, () => false))) {
    throw new StatusError(1, `failed to save image: invalid output path: directory ${JSON.stringify(dir)} does not exist`);
  }
  const st = await stat(path).catch(() => null);
  if (st && !st.isFile() && !st.isDirectory()) {
    throw new StatusError(1, `failed to save image: invalid output path: ${JSON.stringify(path)} must be a directory or a regular file`);
  }
}

/** Copies the body to `path` through a temporary file, so an interrupted save leaves no file. */
async function writeFileAtomically(path: string, body: Readable): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) off += (await fh.write(chunk, off)).bytesWritten;
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}

async function copyTo(ctx: CliContext, body: Readable): Promise<void> {
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (!ctx.stdout.write(chunk)) await new Promise<void>((resolve) => ctx.stdout.once('drain', () => resolve()));
  }
}

export const saveCommand: CommandImpl = {
  flags: [
    { name: 'format', kind: 'string', default: 'docker', usage: 'Archive format: "docker" (what docker save writes) or "oci" (an OCI image layout)' },
    { name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' },
  ],
  args: { min: 1 },
  async run(ctx, f) {
    const format = f.string('format');
    if (format !== 'docker' && format !== 'oci') throw new StatusError(125, `invalid argument "${format}" for "--format" flag: use "docker" or "oci"`);
    const output = f.string('output');
    if (output === '' && ctx.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    if (output !== '') await validateOutputPath(output);
    const client = await ctx.client();
    const body = await client.imageSave(f.args, { format });
    // Reading below reports a failure; this only keeps one before reading starts from going unhandled.
    body.on('error', () => {});
    try {
      if (output === '') await copyTo(ctx, body);
      else await writeFileAtomically(output, body);
    } catch (err) {
      throw new StatusError(1, `failed to save image: ${(err as Error).message === 'aborted' ? 'the daemon ended the archive early' : (err as Error).message}`);
    }
  },
};
