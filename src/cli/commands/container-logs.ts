/** `logs`: the container's stdout to stdout and its stderr to stderr. */
import { copyStream, demuxStream } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError } from '../context.js';
import { toApiTimestamp } from './timestamps.js';

export const logsCommand: CommandImpl = {
  flags: [
    { name: 'details', kind: 'bool', usage: 'Show the extra details given to the logs' },
    { name: 'follow', short: 'f', kind: 'bool', usage: 'Keep printing new output as it comes' },
    { name: 'since', kind: 'string', usage: 'Show logs since a timestamp (e.g. "2013-01-02T13:23:37Z") or a relative time (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', kind: 'string', usage: 'Number of lines to show from the end of the logs', default: 'all' },
    { name: 'timestamps', short: 't', kind: 'bool', usage: 'Show timestamps' },
    { name: 'until', kind: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or a relative time (e.g. "42m" for 42 minutes)' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    const c = await client.containerInspect(f.args[0]!);
    let since: string | undefined;
    let until: string | undefined;
    try {
      if (f.string('since')) since = toApiTimestamp(f.string('since'), ctx.now());
      if (f.string('until')) until = toApiTimestamp(f.string('until'), ctx.now());
    } catch (err) {
      throw new StatusError(1, (err as Error).message);
    }
    // Interrupted, docker dies of the signal: the shell sees 130 (SIGINT) or 143 (SIGTERM).
    const abort = new AbortController();
    let interrupted = 0;
    const stop = (code: number) => () => {
      interrupted = code;
      abort.abort();
    };
    const off = [ctx.onSignal('SIGINT', stop(130)), ctx.onSignal('SIGTERM', stop(143))];
    try {
      const res = await client.containerLogs(c.Id, {
        stdout: true,
        stderr: true,
        follow: f.bool('follow'),
        timestamps: f.bool('timestamps'),
        details: f.bool('details'),
        tail: f.string('tail'),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        signal: abort.signal,
      });
      if (c.Config.Tty) await copyStream(res, ctx.stdout);
      else await demuxStream(res, ctx.stdout, ctx.stderr);
    } catch (err) {
      if (abort.signal.aborted) return interrupted;
      throw err;
    } finally {
      off.forEach((o) => o());
    }
  },
};
