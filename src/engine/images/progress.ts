/**
 * Progress of pulls and pushes in Docker's terms (moby's pkg/progress): status messages, per-layer
 * updates with byte counts, and aux values. The API server turns them into the JSON messages the
 * docker CLI draws; nothing here knows about HTTP.
 */

export interface ProgressOutput {
  /** A line without progress detail: `Pulling from library/x` (id = tag), `Digest: …` (no id). */
  message(id: string, status: string): void;
  /** A per-layer line (it carries progressDetail): `Pulling fs layer`, `Downloading` 12/34 … */
  update(id: string, action: string, current?: number, total?: number): void;
  /** A machine-readable result (push: `{Tag, Digest, Size}`). */
  aux(value: unknown): void;
}

/** Discards everything (pulls made by the engine for its own needs). */
export const nullProgress: ProgressOutput = { message: () => {}, update: () => {}, aux: () => {} };

/**
 * Reports a byte count as Docker's progress reader does: after every 512 kB (or 1 % of the total,
 * whichever is less), at most every 100 ms, and always when the total is reached.
 */
export class ProgressMeter {
  private last = 0;
  private lastTime = Number.NEGATIVE_INFINITY;
  private current = 0;
  private readonly every: number;

  constructor(
    private readonly out: ProgressOutput,
    private readonly id: string,
    private readonly action: string,
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.every = total > 0 ? Math.min(512 * 1024, Math.floor(total / 100)) : 512 * 1024;
  }

  set(current: number): void {
    this.current = current;
    if (current - this.last <= this.every && current !== this.total) return;
    const t = this.now();
    if (current !== this.total && t - this.lastTime < 100) return;
    this.last = current;
    this.lastTime = t;
    this.out.update(this.id, this.action, current, this.total);
  }

  /** A full bar when the transfer ended early (as Docker's reader does on Close). */
  finish(): void {
    if (this.last === this.total && this.current === this.total) return;
    this.last = this.total;
    this.out.update(this.id, this.action, this.total, this.total);
  }
}

/** stringid.TruncateID: the 12 hex characters Docker shows for a layer. */
export function shortLayerId(digest: string): string {
  const i = digest.indexOf(':');
  return digest.slice(i + 1, i + 13);
}
