/** Timestamps as Docker writes them: RFC 3339 in UTC with up to nanosecond precision. */

const startNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Nanoseconds since the epoch, monotonic within this process. */
export function nowNs(): bigint {
  return startNs + process.hrtime.bigint();
}

export function formatNs(ns: bigint): string {
  const secs = Number(ns / 1_000_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${new Date(secs * 1000).toISOString().slice(0, 19)}${frac ? '.' + frac : ''}Z`;
}

export function nowRfc3339Nano(): string {
  return formatNs(nowNs());
}

/** Parses an RFC 3339 timestamp (any precision) to nanoseconds; null when invalid. */
export function parseRfc3339Ns(ts: string): bigint | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(ts);
  if (!m) return null;
  const secs = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  const offset = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (+m[10]! * 3600 + +m[11]! * 60);
  return BigInt(secs - offset) * 1_000_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
}

/**
 * Docker's `since`/`until` query values: a unix time with optional fraction (`1700000000.5`),
 * an RFC 3339 time, or a Go duration relative to now (`10m`, `1h30m`).
 */
export function parseTimeFilter(value: string, now: bigint = nowNs()): bigint | null {
  if (/^\d+(\.\d{1,9})?$/.test(value)) {
    const [s, f = ''] = value.split('.');
    return BigInt(s!) * 1_000_000_000n + BigInt(f.padEnd(9, '0'));
  }
  const abs = parseRfc3339Ns(value);
  if (abs !== null) return abs;
  const d = parseGoDuration(value);
  return d === null ? null : now - d;
}

/** Parses Go duration strings such as `300ms`, `1.5h`, `2h45m` into nanoseconds. */
export function parseGoDuration(value: string): bigint | null {
  const unit: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  if (value === '' ) return null;
  let total = 0;
  let i = 0;
  const sign = value.startsWith('-') ? -1 : 1;
  if (value[0] === '-' || value[0] === '+') i = 1;
  if (value.slice(i) === '0') return 0n;
  while (i < value.length) {
    re.lastIndex = i;
    const m = re.exec(value);
    if (!m) return null;
    total += Number(m[1]) * unit[m[2]!]!;
    i = re.lastIndex;
  }
  return BigInt(Math.round(sign * total));
}
