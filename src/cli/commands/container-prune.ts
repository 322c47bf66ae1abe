/** `container prune`. */
import type { CommandImpl } from '../command.js';
import { humanSize } from '../format/units.js';
import { filterFlag, filtersFrom } from './common-flags.js';
import { confirm } from './prompt.js';

export const pruneCommand: CommandImpl = {
  flags: [
    { ...filterFlag(false), usage: 'Filter which containers to remove (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not ask for confirmation' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    if (!f.bool('force')) {
      const ok = await confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?');
      // Docker treats a "no" as a cancellation: nothing printed, status 0.
      if (!ok) return 0;
    }
    const client = await ctx.client();
    const report = await client.containerPrune(filtersFrom(f.list('filter')));
    let out = '';
    let reclaimed = 0;
    if (report.ContainersDeleted && report.ContainersDeleted.length > 0) {
      out = 'Deleted Containers:\n' + report.ContainersDeleted.map((id) => id + '\n').join('') + '\n';
      reclaimed = report.SpaceReclaimed ?? 0;
    }
    ctx.stdout.write(`${out}Total reclaimed space: ${humanSize(reclaimed, 4)}\n`);
  },
};
