/** `rmi` / `image rm` and `tag`. */
import { ApiError } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError } from '../context.js';
import { familiarName, parseReference } from '../format/reference.js';

export const rmiCommand: CommandImpl = {
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Remove the image even if it is in use or has several tags' },
    { name: 'no-prune', kind: 'bool', usage: 'Keep untagged parent images' },
    { name: 'platform', kind: 'list', type: 'strings', usage: 'Remove only these platform variants ("os[/arch[/variant]]")' },
  ],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    const force = f.bool('force');
    const errs: string[] = [];
    let fatal = false;
    for (const img of f.args) {
      try {
        const dels = await client.imageRemove(img, { force, noPrune: f.bool('no-prune') });
        for (const d of dels ?? []) ctx.stdout.write(d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged ?? ''}\n`);
      } catch (err) {
        if (!(err instanceof ApiError && err.isNotFound)) fatal = true;
        errs.push((err as Error).message);
      }
    }
    if (errs.length === 0) return 0;
    if (force && !fatal) {
      ctx.stderr.write(errs.join('\n') + '\n');
      return 0;
    }
    throw new StatusError(1, errs.join('\n'));
  },
};

/** Splits TARGET[:TAG] into the API's repo and tag, refusing digests as docker does. */
export function splitTarget(target: string): { repo: string; tag: string } {
  const ref = parseReference(target);
  if (!ref) throw new StatusError(1, `Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: invalid reference format`);
  if (ref.digest) throw new StatusError(1, 'refusing to create a tag with a digest reference');
  return { repo: familiarName(ref.name), tag: ref.tag ?? 'latest' };
}

export const tagCommand: CommandImpl = {
  flags: [],
  args: { min: 2, max: 2 },
  async run(ctx, f) {
    const [source, target] = f.args as [string, string];
    const { repo, tag } = splitTarget(target);
    const client = await ctx.client();
    await client.imageTag(source, repo, tag);
  },
};
