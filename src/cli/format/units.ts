/**
 * Docker's human-readable units (the go-units rules as the CLI applies them): sizes with 3
 * significant digits ("4.41MB"), durations ("About a minute"), truncated ids and commands.
 */
import { formatFloatG } from '../template/go-fmt.js';

const decimalAbbrs = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const binaryAbbrs = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, abbrs: string[]): [number, string] {
  let i = 0;
  const max = abbrs.length - 1;
  while (size >= base && i < max) {
    size /= base;
    i++;
  }
  return [size, abbrs[i]!];
}

/** go-units HumanSizeWithPrecision: `%.*g` of the decimal size. */
export function humanSize(bytes: number, precision = 3): string {
  const [v, unit] = sizeAndUnit(bytes, 1000, decimalAbbrs);
  return `${formatFloatG(v, precision)}${unit}`;
}

/** go-units BytesSize: binary units with 4 significant digits ("15.52GiB"). */
export function bytesSize(bytes: number): string {
  const [v, unit] = sizeAndUnit(bytes, 1024, binaryAbbrs);
  return `${formatFloatG(v, 4)}${unit}`;
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** "2 hours ago" for a unix time in seconds, or "N/A" for 0 (images without a date). */
export function sinceText(unixSeconds: number, now = Date.now()): string {
  if (!unixSeconds) return 'N/A';
  return `${humanDuration(now - unixSeconds * 1000)} ago`;
}

/** stringid.TruncateID: drops an `algo:` prefix and keeps 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const s = i >= 0 ? id.slice(i + 1) : id;
  return s.length > 12 ? s.slice(0, 12) : s;
}

/** Docker's Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 0) return '';
  return chars.slice(0, max - 1).join('') + '…';
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** The local time zone's abbreviation and offset, as Go prints them. */
function zone(d: Date): { abbr: string; offset: string } {
  const mins = -d.getTimezoneOffset();
  const sign = mins >= 0 ? '+' : '-';
  const offset = `${sign}${pad2(Math.trunc(Math.abs(mins) / 60))}${pad2(Math.abs(mins) % 60)}`;
  let abbr = mins === 0 && (process.env.TZ === undefined || process.env.TZ === '' || /^(UTC|Etc\/UTC|UTC0|GMT)$/.test(process.env.TZ)) ? 'UTC' : '';
  if (!abbr) {
    try {
      abbr = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
    } catch {
      abbr = '';
    }
    if (!abbr || /^GMT[+-]/.test(abbr)) abbr = offset;
  }
  return { abbr, offset };
}

/** Go's time.Time.String() in local time for a unix time in seconds: "2024-05-01 12:00:00 +0000 UTC". */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const { abbr, offset } = zone(d);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${offset} ${abbr}`;
}

/** RFC 3339 with 9 fractional digits in local time (jsonmessage.RFC3339NanoFixed). */
export function rfc3339NanoFixed(timeNano: bigint): string {
  const ms = Number(timeNano / 1_000_000n);
  const frac = (timeNano % 1_000_000_000n).toString().padStart(9, '0');
  const d = new Date(ms);
  const mins = -d.getTimezoneOffset();
  const tz = mins === 0 ? 'Z' : `${mins >= 0 ? '+' : '-'}${pad2(Math.trunc(Math.abs(mins) / 60))}:${pad2(Math.abs(mins) % 60)}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${frac}${tz}`;
}

/** go-units RAMInBytes: "512m", "1g", "100k", "1024", "1.5GB" (binary multiples). */
export function ramInBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) throw new Error(`invalid size: '${text}'`);
  const n = Number(m[1]);
  if (Number.isNaN(n)) throw new Error(`invalid size: '${text}'`);
  const mult: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  const unit = m[2]?.toLowerCase();
  return Math.trunc(unit ? n * mult[unit]! : n);
}
