/** `ps` / `container ls`. */
import type { ContainerSummary } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut } from '../context.js';
import { ContainerContext, containerFormat, containerHeaders, defaultContainerTable } from '../format/container-context.js';
import { FormatError, parseFormat, renderList, templateText } from '../format/list-format.js';
import { filterFlag, filtersFrom, formatFlag } from './common-flags.js';

const emptySummary: ContainerSummary = { Id: '', Names: [], Image: '', ImageID: '', Command: '', Created: 0, Ports: [], Labels: {}, State: '', Status: '' };

export const psCommand: CommandImpl = {
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show every container (only running ones are shown by default)' },
    filterFlag(),
    formatFlag({ table: true }),
    { name: 'last', short: 'n', kind: 'int', usage: 'Show the n most recently created containers, in any state', default: -1 },
    { name: 'latest', short: 'l', kind: 'bool', usage: 'Show the most recently created container, in any state' },
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only print container IDs' },
    { name: 'size', short: 's', kind: 'bool', usage: 'Show total file sizes' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    const quiet = f.bool('quiet');
    let size = f.bool('size');
    const userFormat = f.string('format');
    const format = containerFormat(userFormat, quiet, size);
    if (userFormat !== '') {
      // Docker checks the template up front (even with no containers) and asks for sizes when it uses .Size.
      let tmpl;
      try {
        tmpl = parseFormat(templateText(format, defaultContainerTable));
      } catch (err) {
        throw new StatusError(1, `failed to parse template: ${(err as Error).message.replace(/^template parsing error: /, '')}`);
      }
      try {
        tmpl.execute(new ContainerContext(emptySummary, true));
      } catch (err) {
        throw new StatusError(1, `failed to execute template: ${(err as Error).message}`);
      }
      if (!quiet && !size && !f.changed('size') && /\.Size\b/.test(userFormat)) size = true;
    }
    let limit = f.int('last');
    if (f.bool('latest') && limit === -1) limit = 1;
    const client = await ctx.client();
    const list = await client.containerList({ all: f.bool('all'), limit, size, filters: filtersFrom(f.list('filter')) });
    const now = ctx.now();
    const trunc = !f.bool('no-trunc');
    const items = list.map((c) => new ContainerContext(c, trunc, now));
    try {
      await writeOut(ctx.stdout, renderList(items, { format, defaultTable: defaultContainerTable, headers: containerHeaders }));
    } catch (err) {
      if (err instanceof FormatError) throw new StatusError(1, err.message);
      throw err;
    }
  },
};
