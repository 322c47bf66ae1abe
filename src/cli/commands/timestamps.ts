/**
 * Docker's timetypes.GetTimestamp: what the CLI sends for `--since`/`--until`: durations
 * ("10m") become a unix time before now, dates and RFC 3339 times become `seconds.nanoseconds`,
 * unix times pass through.
 */

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** time.ParseDuration in milliseconds, or null. */
export function parseDurationMs(value: string): number | null {
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(value);
  if (!m) return value === '0' ? 0 : null;
  let total = 0;
  for (const part of value.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * durationUnits[part[2]!]!;
  return m[1] === '-' ? -total : total;
}

export function toApiTimestamp(value: string, nowMs: number): string {
  const d = parseDurationMs(value);
  if (value !== '0' && d !== null) return String(Math.floor((nowMs - d) / 1000));
  // Dates and times, in the local zone unless one is given.
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (m) {
    const [, y, mo, da, h = '0', mi = '0', s = '0', frac = '', zone] = m;
    let ms: number;
    if (zone && zone.toUpperCase() !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const off = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
      ms = Date.UTC(+y!, +mo! - 1, +da!, +h, +mi, +s) - off * 60_000;
    } else if (zone) {
      ms = Date.UTC(+y!, +mo! - 1, +da!, +h, +mi, +s);
    } else {
      ms = new Date(+y!, +mo! - 1, +da!, +h, +mi, +s).getTime();
    }
    return `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0')}`;
  }
  if (value.includes('-')) throw new Error(`parsing time ${JSON.stringify(value)}: cannot parse ${JSON.stringify(value)} as a timestamp`);
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
}
