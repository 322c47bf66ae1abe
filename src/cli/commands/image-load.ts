/**
 * `load` / `image load`: sends the archive and prints what the daemon reports. As docker, the
 * load is quiet unless stdout is a terminal; there the "Loading layer" progress is drawn on one
 * line per layer.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { checkJsonMessage, type JsonMessage } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError, type CliContext } from '../context.js';
import { openError } from './run-options.js';

/** Prints load messages: `stream` text as is, progress redrawn in place on a terminal. */
export async function printLoadMessages(ctx: CliContext, messages: AsyncIterable<JsonMessage>): Promise<void> {
  let progressLine = false;
  const endProgress = () => {
    if (progressLine) ctx.stdout.write('\n');
    progressLine = false;
  };
  for await (const m of messages) {
    if (m.error || m.errorDetail?.message) endProgress();
    checkJsonMessage(m);
    if (m.stream) {
      endProgress();
      ctx.stdout.write(m.stream);
    } else if (m.status) {
      const line = `${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ' ' + m.progress : ''}`;
      if (ctx.stdout.isTTY && m.progressDetail) {
        ctx.stdout.write(`\r\x1b[2K${line}`);
        progressLine = true;
      } else {
        endProgress();
        ctx.stdout.write(line + '\n');
      }
    }
  }
  endProgress();
}

export const loadCommand: CommandImpl = {
  flags: [
    { name: 'input', short: 'i', kind: 'string', usage: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the load output' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    const input = f.string('input');
    let source: Readable;
    if (input === '') {
      if (ctx.stdin.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
      source = ctx.stdin;
    } else {
      try {
        await (await open(input, 'r')).close();
      } catch (err) {
        throw new StatusError(1, openError(input, err).message);
      }
      source = createReadStream(input);
    }
    const client = await ctx.client();
    await printLoadMessages(ctx, client.imageLoad(source, { quiet: f.bool('quiet') || !ctx.stdout.isTTY }));
  },
};
