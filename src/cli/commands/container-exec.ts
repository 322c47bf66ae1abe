/** `exec`: run a command in a running container; exit with its status. */
import type { CommandImpl } from '../command.js';
import { StatusError } from '../context.js';
import { monitorTtySize, streamHijacked } from './hijack-stream.js';
import { readKeyValueFile } from './run-options.js';

export const execCommand: CommandImpl = {
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', usage: 'Detached mode: run the command in the background' },
    { name: 'detach-keys', kind: 'string', usage: 'Key sequence that detaches from the command' },
    { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables' },
    { name: 'env-file', kind: 'list', usage: 'Read environment variables from a file' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even when not attached' },
    { name: 'privileged', kind: 'bool', usage: 'Give the command extended privileges' },
    { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', usage: 'User name or UID ("<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
  ],
  interspersed: false,
  args: { min: 2 },
  async run(ctx, f) {
    const [container, ...cmd] = f.args as [string, ...string[]];
    const detach = f.bool('detach');
    const tty = f.bool('tty');
    const lookup = (n: string) => ctx.env[n];
    const env: string[] = [];
    for (const file of f.list('env-file')) env.push(...(await readKeyValueFile(file, ctx.readFile, lookup)));
    for (const e of f.list('env')) env.push(e.includes('=') || lookup(e) === undefined ? e : `${e}=${lookup(e)}`);
    const attachStdin = !detach && f.bool('interactive');
    const consoleSize: [number, number] | null = tty ? [ctx.stdout.rows ?? 0, ctx.stdout.columns ?? 0] : null;
    const client = await ctx.client();
    // An inspect first, so that "No such container" wins over other errors.
    await client.containerInspect(container);
    if (!detach && attachStdin && tty && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    const detachKeys = f.string('detach-keys');
    const created = await client.execCreate(container, {
      User: f.string('user'),
      Privileged: f.bool('privileged'),
      Tty: tty,
      ...(consoleSize ? { ConsoleSize: consoleSize } : {}),
      AttachStdin: attachStdin,
      AttachStderr: !detach,
      AttachStdout: !detach,
      Detach: detach,
      DetachKeys: detachKeys,
      Env: env.length ? env : null,
      WorkingDir: f.string('workdir'),
      Cmd: cmd,
    });
    const execId = created.Id;
    if (!execId) throw new StatusError(1, 'exec ID empty');
    if (detach) {
      await client.execStartDetached(execId, { tty });
      return 0;
    }
    const conn = await client.execStartAttached(execId, { tty, consoleSize });
    const session = streamHijacked(ctx, {
      conn,
      tty,
      stdin: attachStdin ? ctx.stdin : null,
      stdout: ctx.stdout,
      stderr: tty ? ctx.stdout : ctx.stderr,
      ...(detachKeys ? { detachKeys } : {}),
    });
    let stopResize: () => void = () => undefined;
    if (tty && ctx.stdin.isTTY) stopResize = monitorTtySize(ctx, (h, w) => client.execResize(execId, h, w));
    try {
      await session.done;
    } finally {
      stopResize();
    }
    // The exit code is recorded as the process ends; give it a moment if the stream won the race.
    for (let i = 0; ; i++) {
      const info = await client.execInspect(execId);
      if (!info.Running || i >= 20) return info.ExitCode ?? 0;
      await new Promise((r) => setTimeout(r, 50));
    }
  },
};
