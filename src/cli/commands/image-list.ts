/** `images` / `image ls`. */
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut } from '../context.js';
import { defaultImageTable, imageFormat, imageHeaders, imageRows } from '../format/image-context.js';
import { FormatError, renderList } from '../format/list-format.js';
import { filterFlag, filtersFrom, formatFlag } from './common-flags.js';

export const imagesCommand: CommandImpl = {
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show every image (intermediate images are hidden by default)' },
    { name: 'digests', kind: 'bool', usage: 'Show digests' },
    filterFlag(),
    formatFlag({ table: true }),
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only print image IDs' },
  ],
  args: { max: 1 },
  async run(ctx, f) {
    const filters = filtersFrom(f.list('filter'));
    if (f.args[0]) (filters.reference ??= []).push(f.args[0]);
    const client = await ctx.client();
    const images = await client.imageList({ all: f.bool('all'), filters });
    const digests = f.bool('digests');
    const rows = imageRows(images, { trunc: !f.bool('no-trunc'), digests, format: f.string('format'), now: ctx.now() });
    try {
      await writeOut(ctx.stdout, renderList(rows, { format: imageFormat(f.string('format'), f.bool('quiet'), digests), defaultTable: defaultImageTable, headers: imageHeaders }));
    } catch (err) {
      if (err instanceof FormatError) throw new StatusError(1, err.message);
      throw err;
    }
  },
};
