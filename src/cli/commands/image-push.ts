/** `push [-a] [-q] NAME[:TAG]`, as docker's: progress on stdout (quiet: only the name when done). */
import { checkJsonMessage } from '../../api/client/index.js';
import { familiarRepository, formatReference, parseReference, withDefaultTag } from '../../util/reference.js';
import type { CommandImpl } from '../command.js';
import { registryAuthFor } from '../config/registry-auth.js';
import { renderProgress } from '../format/progress-renderer.js';

export const pushCommand: CommandImpl = {
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Push all tags of an image to the repository' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f) {
    let ref = parseReference(f.args[0]!);
    const all = f.bool('all-tags');
    const quiet = f.bool('quiet');
    if (ref.digest !== undefined) throw new Error('cannot push a digest reference');
    if (all && ref.tag !== undefined) throw new Error("tag can't be used with --all-tags/-a");
    if (!all && ref.tag === undefined) {
      ref = withDefaultTag(ref);
      if (!quiet) ctx.stdout.write(`Using default tag: ${ref.tag}\n`);
    }
    const client = await ctx.client();
    const registryAuth = await registryAuthFor(ctx, formatReference(ref));
    const messages = client.imagePush(familiarRepository(ref), { ...(ref.tag ? { tag: ref.tag } : {}), registryAuth });
    if (quiet) {
      for await (const m of messages) checkJsonMessage(m);
      ctx.stdout.write(`${formatReference(ref)}\n`);
      return;
    }
    await renderProgress(messages, ctx.stdout, { tty: ctx.stdout.isTTY === true, width: ctx.stdout.columns ?? 200 });
  },
};
