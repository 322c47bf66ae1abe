/** `events`: the daemon's event stream, one line per event. */
import type { EventMessage } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut } from '../context.js';
import { rfc3339NanoFixed } from '../format/units.js';
import { toGoJson, type GoStruct, type Template } from '../template/index.js';
import { filterFlag, filtersFrom, formatFlag } from './common-flags.js';
import { toApiTimestamp } from './timestamps.js';

/** docker's default event line: `TIME TYPE ACTION ID (k=v, …)`. */
export function eventLine(e: EventMessage, timeNano: bigint = BigInt(e.timeNano ?? 0)): string {
  let s = '';
  if (timeNano) s += `${rfc3339NanoFixed(timeNano)} `;
  else if (e.time) s += `${rfc3339NanoFixed(BigInt(e.time) * 1_000_000_000n)} `;
  s += `${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}`;
  const attrs = e.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return s + '\n';
}

/** events.Message with Go's field names for templates, and its JSON for `{{json .}}`. */
export class EventContext implements GoStruct {
  readonly goTypeName = 'events.Message';
  readonly Status: string;
  readonly ID: string;
  readonly From: string;
  readonly Type: string;
  readonly Action: string;
  readonly Actor: { ID: string; Attributes: Record<string, string> };
  readonly Scope: string;
  readonly Time: number;
  readonly TimeNano: bigint;

  constructor(
    private readonly e: EventMessage,
    timeNano: bigint = BigInt(e.timeNano ?? 0),
  ) {
    this.Status = e.status ?? '';
    this.ID = e.id ?? '';
    this.From = e.from ?? '';
    this.Type = e.Type;
    this.Action = e.Action;
    const attrs = e.Actor?.Attributes ?? {};
    this.Actor = { ID: e.Actor?.ID ?? '', Attributes: Object.fromEntries(Object.keys(attrs).sort().map((k) => [k, attrs[k]!])) };
    this.Scope = e.scope ?? '';
    this.Time = e.time;
    this.TimeNano = timeNano;
  }

  goJSON(): string {
    const e = this.e;
    const text = toGoJson({
      ...(e.status ? { status: e.status } : {}),
      ...(e.id ? { id: e.id } : {}),
      ...(e.from ? { from: e.from } : {}),
      Type: e.Type,
      Action: e.Action,
      Actor: this.Actor,
      scope: this.Scope,
      time: e.time,
      timeNano: 0,
    });
    // Exact nanoseconds (beyond what a JS number holds).
    return text.replace(/"timeNano":0}$/, `"timeNano":${this.TimeNano}}`);
  }
}

export const eventsCommand: CommandImpl = {
  flags: [
    filterFlag(),
    formatFlag({ table: false }),
    { name: 'since', kind: 'string', usage: 'Show the events created since this time' },
    { name: 'until', kind: 'string', usage: 'Stream events until this time' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    let tmpl: Template | null = null;
    const format = f.string('format');
    if (format) {
      const t = await import('../template/index.js');
      try {
        tmpl = t.Template.parse(format === 'json' ? '{{json .}}' : format);
      } catch (err) {
        throw new StatusError(1, `template parsing error: ${(err as Error).message}`);
      }
    }
    let since: string | undefined;
    let until: string | undefined;
    try {
      if (f.string('since')) since = toApiTimestamp(f.string('since'), ctx.now());
      if (f.string('until')) until = toApiTimestamp(f.string('until'), ctx.now());
    } catch (err) {
      throw new StatusError(1, (err as Error).message);
    }
    const client = await ctx.client();
    // Interrupted, docker dies of the signal: the shell sees 130 (SIGINT) or 143 (SIGTERM).
    const abort = new AbortController();
    let interrupted = 0;
    const stop = (code: number) => () => {
      interrupted = code;
      abort.abort();
    };
    const off = [ctx.onSignal('SIGINT', stop(130)), ctx.onSignal('SIGTERM', stop(143))];
    try {
      for await (const { event: e, timeNano } of client.eventsRaw({ ...(since ? { since } : {}), ...(until ? { until } : {}), filters: filtersFrom(f.list('filter')), signal: abort.signal })) {
        let text: string;
        if (tmpl) {
          try {
            text = tmpl.execute(new EventContext(e, timeNano)) + '\n';
          } catch (err) {
            throw new StatusError(1, `template parsing error: ${(err as Error).message}`);
          }
        } else text = eventLine(e, timeNano);
        await writeOut(ctx.stdout, text);
      }
    } catch (err) {
      if (abort.signal.aborted) return interrupted;
      throw err;
    } finally {
      off.forEach((o) => o());
    }
  },
};
