/**
 * The text of a progress bar as Docker's JSONProgress.String() makes it (moby pkg/jsonmessage):
 * `[=====>      ]  12.3MB/45.6MB`. The daemon puts it in a progress message's `progress` field
 * (its terminal width is unknown there, so 200 as Docker's daemon); the CLI redraws bars from the
 * counts with its own width.
 */
import { humanSize } from './human-units.js';

/** `fmt.Sprintf("%8v", s)`: right-aligned in 8 columns, never cut. */
function pad8(s: string): string {
  return s.length >= 8 ? s : ' '.repeat(8 - s.length) + s;
}

export interface ProgressCounts {
  readonly current?: number;
  readonly total?: number;
  /** Seconds since the epoch when the transfer started (time left is shown when given). */
  readonly start?: number;
  readonly hideCounts?: boolean;
  readonly units?: string;
}

export function progressBarText(p: ProgressCounts, width = 200, nowMs = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : pad8(humanSize(current));
  const percentage = Math.min(Math.trunc(Math.trunc((current / total) * 100) / 2), 50);
  let bar = '';
  if (width > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(50 - percentage, 0))}] `;
  let numbers = '';
  if (!p.hideCounts) {
    if (p.units) numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
    else numbers = current > total ? pad8(humanSize(current)) : `${pad8(humanSize(current))}/${humanSize(total)}`;
  }
  let timeLeft = '';
  if (current > 0 && p.start && p.start > 0 && percentage < 50 && width > 50) {
    const elapsed = nowMs - p.start * 1000;
    const left = Math.trunc(((total - current) * (elapsed / current)) / 1000);
    timeLeft = ` ${goDuration(left)}`;
  }
  return bar + numbers + timeLeft;
}

/** Go's time.Duration String() for whole seconds: `0s`, `45s`, `1m5s`, `2h0m3s`. */
export function goDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
