/** `pull [-a] [--platform] [-q] NAME[:TAG|@DIGEST]`, as docker's: progress on stdout, then the reference. */
import { checkJsonMessage, type EngineClient } from '../../api/client/index.js';
import { familiarRepository, formatReference, parseReference, withDefaultTag } from '../../util/reference.js';
import type { CommandImpl } from '../command.js';
import type { CliContext, OutputStream } from '../context.js';
import { registryAuthFor } from '../config/registry-auth.js';
import { renderProgress } from '../format/progress-renderer.js';

export interface PullOptions {
  readonly platform?: string;
  readonly all?: boolean;
  /** Where progress goes; null: nowhere (quiet). */
  readonly out: OutputStream | null;
}

/**
 * Pulls `image` through the daemon, drawing its progress on `out` (bars when it is a terminal).
 * Rejects with the daemon's error, from the HTTP answer or from the stream.
 */
export async function pullWithProgress(ctx: CliContext, client: EngineClient, image: string, opts: PullOptions): Promise<void> {
  const ref = parseReference(image);
  const registryAuth = await registryAuthFor(ctx, image);
  const tag = opts.all ? undefined : (ref.digest ?? ref.tag ?? 'latest');
  // As docker's client: the familiar name, the tag or digest apart.
  const messages = client.imagePull(familiarRepository(ref), {
    ...(tag ? { tag } : {}),
    ...(opts.platform ? { platform: opts.platform } : {}),
    registryAuth,
  });
  const out = opts.out;
  if (!out) {
    for await (const m of messages) checkJsonMessage(m);
    return;
  }
  await renderProgress(messages, out, { tty: out.isTTY === true, width: out.columns ?? 200 });
}

export const pullCommand: CommandImpl = {
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Download all tagged images in the repository' },
    { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f) {
    const name = f.args[0]!;
    let ref = parseReference(name);
    const all = f.bool('all-tags');
    const quiet = f.bool('quiet');
    if (all && (ref.tag !== undefined || ref.digest !== undefined)) throw new Error("tag can't be used with --all-tags/-a");
    if (!all && ref.tag === undefined && ref.digest === undefined) {
      ref = withDefaultTag(ref);
      if (!quiet) ctx.stdout.write(`Using default tag: ${ref.tag}\n`);
    }
    const client = await ctx.client();
    const platform = f.string('platform') || ctx.env.DOCKER_DEFAULT_PLATFORM || '';
    await pullWithProgress(ctx, client, formatReference(ref), { ...(platform ? { platform } : {}), all, out: quiet ? null : ctx.stdout });
    ctx.stdout.write(`${formatReference(ref)}\n`);
  },
};
