/** `attach`: connect the terminal to a running container. */
import type { CommandImpl } from '../command.js';
import { StatusError } from '../context.js';
import type { ContainerInspect, EngineClient } from '../../api/client/index.js';
import { monitorTtySize, proxySignals, streamHijacked } from './hijack-stream.js';

async function inspectRunning(client: EngineClient, id: string): Promise<ContainerInspect> {
  const c = await client.containerInspect(id);
  if (!c.State.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new StatusError(1, 'You cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) throw new StatusError(1, 'You cannot attach to a restarting container, wait until it is running');
  return c;
}

export const attachCommand: CommandImpl = {
  flags: [
    { name: 'detach-keys', kind: 'string', usage: 'Key sequence that detaches from the container' },
    { name: 'no-stdin', kind: 'bool', usage: 'Do not attach STDIN' },
    { name: 'sig-proxy', kind: 'bool', usage: 'Forward every received signal to the process', default: true },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    const id = f.args[0]!;
    const wait = client.containerWait(id);
    wait.catch(() => undefined);
    const c = await inspectRunning(client, id);
    const tty = !!c.Config.Tty;
    if (!f.bool('no-stdin') && tty && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    const withStdin = !f.bool('no-stdin') && !!c.Config.OpenStdin;
    const detachKeys = f.string('detach-keys') || undefined;
    const stopSignals = f.bool('sig-proxy') && !tty ? proxySignals(ctx, (sig) => client.containerKill(id, sig)) : () => undefined;
    let stopResize: () => void = () => undefined;
    try {
      const conn = await client.containerAttach(id, { stream: true, stdin: withStdin, stdout: true, stderr: true, ...(detachKeys ? { detachKeys } : {}) });
      try {
        await inspectRunning(client, id);
      } catch (err) {
        conn.close();
        throw err;
      }
      if (tty && ctx.stdout.isTTY) stopResize = monitorTtySize(ctx, (h, w) => client.containerResize(id, h, w));
      const session = streamHijacked(ctx, { conn, tty, stdin: withStdin ? ctx.stdin : null, stdout: ctx.stdout, stderr: ctx.stderr, ...(detachKeys ? { detachKeys } : {}) });
      if ((await session.done) === 'detached') throw new StatusError(1, 'read escape sequence');
      const { result } = await wait;
      const r = await result;
      if (r.Error?.Message) throw new StatusError(1, r.Error.Message);
      return r.StatusCode;
    } finally {
      stopSignals();
      stopResize();
    }
  },
};
