/** `start`, with `-a`/`-i` attaching as docker does. */
import type { CommandImpl } from '../command.js';
import { StatusError } from '../context.js';
import { monitorTtySize, proxySignals, streamHijacked } from './hijack-stream.js';
import { waitStatus } from './container-run.js';

export const startCommand: CommandImpl = {
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', usage: "Attach to the container's output and forward signals" },
    { name: 'detach-keys', kind: 'string', usage: 'Key sequence that detaches from the container' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: "Attach the container's STDIN" },
  ],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    if (!f.bool('attach') && !f.bool('interactive')) {
      const failed: string[] = [];
      for (const name of f.args) {
        try {
          await client.containerStart(name);
          ctx.stdout.write(`${name}\n`);
        } catch (err) {
          ctx.stderr.write(`${(err as Error).message}\n`);
          failed.push(name);
        }
      }
      if (failed.length) throw new StatusError(1, `Error: failed to start containers: ${failed.join(', ')}`);
      return 0;
    }
    if (f.args.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
    const c = await client.containerInspect(f.args[0]!);
    const tty = !!c.Config.Tty;
    const stopSignals = tty ? () => undefined : proxySignals(ctx, (sig) => client.containerKill(c.Id, sig));
    let stopResize: () => void = () => undefined;
    try {
      const detachKeys = f.string('detach-keys') || undefined;
      const withStdin = f.bool('interactive') && !!c.Config.OpenStdin;
      const conn = await client.containerAttach(c.Id, { stream: true, stdin: withStdin, stdout: true, stderr: true, ...(detachKeys ? { detachKeys } : {}) });
      const session = streamHijacked(ctx, { conn, tty, stdin: withStdin ? ctx.stdin : null, stdout: ctx.stdout, stderr: ctx.stderr, ...(detachKeys ? { detachKeys } : {}) });
      const status = waitStatus(ctx, client, c.Id, c.HostConfig.AutoRemove ? 'removed' : 'next-exit');
      await status.registered;
      try {
        await client.containerStart(c.Id);
      } catch (err) {
        session.cancel();
        await session.done;
        if (c.HostConfig.AutoRemove) await status.code;
        throw err;
      }
      if (tty && ctx.stdout.isTTY) stopResize = monitorTtySize(ctx, (h, w) => client.containerResize(c.Id, h, w));
      if ((await session.done) === 'detached') return 0;
      return await status.code;
    } finally {
      stopSignals();
      stopResize();
    }
  },
};
