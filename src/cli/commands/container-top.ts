/** `top CONTAINER [ps OPTIONS]`. */
import type { CommandImpl } from '../command.js';
import { writeOut } from '../context.js';
import { TabWriter } from '../format/tab-writer.js';

export const topCommand: CommandImpl = {
  flags: [],
  interspersed: false,
  args: { min: 1 },
  async run(ctx, f) {
    const [id, ...psArgs] = f.args as [string, ...string[]];
    const client = await ctx.client();
    const top = await client.containerTop(id, psArgs.join(' '));
    const w = new TabWriter({ minWidth: 20, tabWidth: 1, padding: 3 });
    w.write((top.Titles ?? []).join('\t') + '\n');
    for (const p of top.Processes ?? []) w.write(p.join('\t') + '\n');
    await writeOut(ctx.stdout, w.flush());
  },
};
