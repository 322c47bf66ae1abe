/** `image prune`: docker's prompt, filters and report. */
import type { CommandImpl } from '../command.js';
import { humanSize } from '../format/units.js';
import { filterFlag, filtersFrom } from './common-flags.js';
import { confirm } from './prompt.js';

const allImageWarning = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';
const danglingWarning = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';

export const imagePruneCommand: CommandImpl = {
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images, not just dangling ones' },
    { ...filterFlag(false), usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    const all = f.bool('all');
    const filters = filtersFrom(f.list('filter'));
    // Added to what --filter gave, as docker does: `--filter dangling=false` without -a is refused by the daemon.
    const dangling = (filters.dangling ??= []);
    if (!dangling.includes(String(!all))) dangling.push(String(!all));
    if (!f.bool('force')) {
      // Docker treats a "no" as a cancellation: nothing printed, status 0.
      if (!(await confirm(ctx, all ? allImageWarning : danglingWarning))) return 0;
    }
    const client = await ctx.client();
    const report = await client.imagePrune(filters);
    let out = '';
    let reclaimed = 0;
    if (report.ImagesDeleted && report.ImagesDeleted.length > 0) {
      out = 'Deleted Images:\n' + report.ImagesDeleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted ?? ''}\n`)).join('') + '\n';
      reclaimed = report.SpaceReclaimed ?? 0;
    }
    ctx.stdout.write(`${out}Total reclaimed space: ${humanSize(reclaimed, 4)}\n`);
  },
};
