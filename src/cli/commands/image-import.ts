/** `import file|URL|- [REPOSITORY[:TAG]]`: the archive is streamed as the request body. */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { checkJsonMessage, type EngineClient, type JsonMessage } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError, type CliContext } from '../context.js';
import { openError } from './run-options.js';
import { splitTarget } from './image-remove.js';

/** Prints a JSON progress stream as docker does without a terminal; returns the last status. */
export async function printJsonMessages(ctx: CliContext, messages: AsyncIterable<JsonMessage>): Promise<string> {
  let last = '';
  for await (const m of messages) {
    checkJsonMessage(m);
    if (m.stream) ctx.stdout.write(m.stream);
    else if (m.status) {
      ctx.stdout.write(`${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ' ' + m.progress : ''}\n`);
      last = m.status;
    }
  }
  return last;
}

export interface ImportRequest {
  readonly source: Readable | Buffer | null;
  readonly url?: string;
  readonly reference: string;
  readonly changes: readonly string[];
  readonly message: string;
  readonly platform: string;
}

/** Sends an import; resolves with the messages (the caller prints or reads them). */
export function importImage(client: EngineClient, req: ImportRequest): AsyncGenerator<JsonMessage> {
  const { repo, tag } = req.reference ? splitTarget(req.reference) : { repo: '', tag: '' };
  return client.imageImport(req.source ?? Buffer.alloc(0), {
    ...(req.url ? { fromSrc: req.url } : {}),
    ...(repo ? { repo, tag } : {}),
    changes: req.changes,
    message: req.message,
    platform: req.platform,
  });
}

export const importCommand: CommandImpl = {
  flags: [
    { name: 'change', short: 'c', kind: 'list', usage: 'Apply a Dockerfile instruction to the new image' },
    { name: 'message', short: 'm', kind: 'string', usage: 'Commit message for the imported image' },
    { name: 'platform', kind: 'string', usage: 'Platform to use if the daemon serves more than one' },
  ],
  args: { min: 1, max: 2 },
  async run(ctx, f) {
    const [src, reference = ''] = f.args as [string, string?];
    let source: Readable | null = null;
    let url: string | undefined;
    if (src === '-') source = ctx.stdin;
    else if (/^https?:\/\//.test(src)) url = src;
    else {
      try {
        await (await open(src, 'r')).close();
      } catch (err) {
        throw new StatusError(1, openError(src, err).message);
      }
      source = createReadStream(src);
    }
    const client = await ctx.client();
    await printJsonMessages(ctx, importImage(client, { source, ...(url ? { url } : {}), reference, changes: f.list('change'), message: f.string('message'), platform: f.string('platform') }));
  },
};
