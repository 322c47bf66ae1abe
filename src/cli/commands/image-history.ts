/** `history` / `image history`. */
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut } from '../context.js';
import { HistoryContext, historyFormat, historyHeaders, defaultHistoryTable } from '../format/history-context.js';
import { FormatError, renderList } from '../format/list-format.js';
import { formatFlag } from './common-flags.js';

export const historyCommand: CommandImpl = {
  flags: [
    formatFlag({ table: true }),
    { name: 'human', short: 'H', kind: 'bool', default: true, usage: 'Print sizes and dates in human readable format' },
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    const history = await client.imageHistory(f.args[0]!);
    const human = f.bool('human');
    const trunc = !f.bool('no-trunc');
    const rows = history.map((h) => new HistoryContext(h, trunc, human, ctx.now()));
    try {
      await writeOut(ctx.stdout, renderList(rows, { format: historyFormat(f.string('format'), f.bool('quiet'), human), defaultTable: defaultHistoryTable, headers: historyHeaders }));
    } catch (err) {
      if (err instanceof FormatError) throw new StatusError(1, err.message);
      throw err;
    }
  },
};
