/** stop, kill, restart, pause, unpause, rename, wait, rm. */
import { ApiError } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError } from '../context.js';
import type { FlagSpec } from '../flags/flag-set.js';
import { forEachName } from './parallel.js';

const signalFlag: FlagSpec = { name: 'signal', short: 's', kind: 'string', usage: 'Signal to send to the container' };
const timeoutFlags: FlagSpec[] = [
  { name: 'timeout', short: 't', kind: 'int', usage: 'Seconds to wait for the container to stop before killing it' },
  { name: 'time', kind: 'int', usage: 'Seconds to wait for the container to stop before killing it', hidden: true },
];

function timeoutOf(f: { changed(n: string): boolean; int(n: string): number }): number | undefined {
  if (f.changed('timeout')) return f.int('timeout');
  if (f.changed('time')) return f.int('time');
  return undefined;
}

export const stopCommand: CommandImpl = {
  flags: [signalFlag, ...timeoutFlags],
  args: { min: 1 },
  async run(ctx, f) {
    if (f.changed('timeout') && f.changed('time')) throw new StatusError(1, 'conflicting options: cannot specify both --timeout and --time');
    const client = await ctx.client();
    const timeout = timeoutOf(f);
    const signal = f.string('signal') || undefined;
    await forEachName(ctx, f.args, (id) => client.containerStop(id, { ...(signal ? { signal } : {}), ...(timeout !== undefined ? { timeout } : {}) }));
  },
};

export const restartCommand: CommandImpl = {
  flags: [signalFlag, ...timeoutFlags],
  args: { min: 1 },
  async run(ctx, f) {
    if (f.changed('timeout') && f.changed('time')) throw new StatusError(1, 'conflicting options: cannot specify both --timeout and --time');
    const client = await ctx.client();
    const timeout = timeoutOf(f);
    const signal = f.string('signal') || undefined;
    await forEachName(ctx, f.args, (id) => client.containerRestart(id, { ...(signal ? { signal } : {}), ...(timeout !== undefined ? { timeout } : {}) }));
  },
};

export const killCommand: CommandImpl = {
  flags: [signalFlag],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    const signal = f.string('signal') || undefined;
    await forEachName(ctx, f.args, (id) => client.containerKill(id, signal));
  },
};

export const pauseCommand: CommandImpl = {
  flags: [],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    await forEachName(ctx, f.args, (id) => client.containerPause(id));
  },
};

export const unpauseCommand: CommandImpl = {
  flags: [],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    await forEachName(ctx, f.args, (id) => client.containerUnpause(id));
  },
};

export const renameCommand: CommandImpl = {
  flags: [],
  args: { min: 2, max: 2 },
  async run(ctx, f) {
    const [oldName, newName] = f.args.map((s) => s.trim()) as [string, string];
    if (!oldName || !newName) throw new StatusError(1, 'Error: Neither old nor new names may be empty');
    const client = await ctx.client();
    try {
      await client.containerRename(oldName, newName);
    } catch (err) {
      if (err instanceof ApiError) throw new StatusError(1, `${err.message}\nError: failed to rename container named ${oldName}`);
      throw err;
    }
  },
};

export const waitCommand: CommandImpl = {
  flags: [],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    const errors: string[] = [];
    for (const id of f.args) {
      try {
        const { result } = await client.containerWait(id);
        const r = await result;
        ctx.stdout.write(`${r.StatusCode}\n`);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (errors.length) throw new StatusError(1, errors.join('\n'));
  },
};

export const rmCommand: CommandImpl = {
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Remove the container even if it is running (it gets SIGKILL)' },
    { name: 'link', short: 'l', kind: 'bool', usage: 'Remove the named link' },
    { name: 'volumes', short: 'v', kind: 'bool', usage: "Also remove the container's anonymous volumes" },
  ],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    const force = f.bool('force');
    await forEachName(
      ctx,
      f.args,
      async (name) => {
        const id = name.replace(/^\/+|\/+$/g, '');
        if (!id) throw new Error('container name cannot be empty');
        await client.containerRemove(id, { force, volumes: f.bool('volumes'), link: f.bool('link') });
      },
      { tolerate: (err) => force && err instanceof ApiError && err.isNotFound },
    );
  },
};
