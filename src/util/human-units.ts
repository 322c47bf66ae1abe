/**
 * Docker's human-readable durations and sizes (the go-units package's rules), used by the
 * daemon for container Status strings and by the CLI for tables.
 */

/** "Less than a second", "About a minute", "3 hours", "2 weeks" … */
export function humanDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (ms < 1000) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.round(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

const decimalUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const binaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function formatSignificant(value: number, digits: number): string {
  // Go's %.4g: up to `digits` significant digits, no trailing zeros.
  return String(Number(value.toPrecision(digits)));
}

/** Decimal sizes with 4 significant digits as `docker images` prints them: "4.41MB", "1.2GB". */
export function humanSize(bytes: number, precision = 4): string {
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < decimalUnits.length - 1) {
    v /= 1000;
    i++;
  }
  return `${formatSignificant(v, precision)}${decimalUnits[i]}`;
}

/** Binary sizes ("1.5GiB") as `docker info` prints memory. */
export function bytesSize(bytes: number, precision = 4): string {
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < binaryUnits.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatSignificant(v, precision)}${binaryUnits[i]}`;
}

/**
 * Parses sizes as Docker's flags accept them (`512m`, `1g`, `100k`, `1024`): binary multiples,
 * case-insensitive, optional `b`. Returns null when the text is not a size.
 */
export function parseRamSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) return null;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}
