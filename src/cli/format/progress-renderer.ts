/**
 * Draws a JSON progress stream (pull, push, import) as the docker CLI's jsonmessage does. On a
 * terminal every layer keeps its own line, redrawn in place with the cursor moved up and down:
 * `id: Downloading [====>    ]  12.3MB/45.6MB  3.1MB/s` (Berth adds the speed). Without a
 * terminal each status is a plain line and byte-count updates are left out. A message that is
 * not a layer update ends the current block of lines, as in docker.
 */
import { StreamError, type JsonMessage } from '../../api/client/index.js';
import { humanSize } from '../../util/human-units.js';
import { progressBarText } from '../../util/progress-bar.js';
import type { OutputStream } from '../context.js';

export interface RendererOptions {
  /** Draw bars and move the cursor (stdout is a terminal). */
  readonly tty: boolean;
  /** Terminal width; bars need more than 110 columns, as docker's. */
  readonly width?: number;
  readonly now?: () => number;
}

const eraseLine = '\x1b[2K';

export class ProgressRenderer {
  private ids = new Map<string, number>();
  private readonly started = new Map<string, { at: number; current: number }>();
  private readonly now: () => number;

  constructor(
    private readonly out: OutputStream,
    private readonly opts: RendererOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Renders one message; an error message throws StreamError (what the command then prints). */
  render(m: JsonMessage): void {
    if (m.aux !== undefined && m.status === undefined && m.stream === undefined) return;
    const tty = this.opts.tty;
    const hasProgress = m.progressDetail !== undefined && m.progressDetail !== null;
    let diff = 0;
    if (m.id && hasProgress) {
      let line = this.ids.get(m.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(m.id, line);
        if (tty) this.out.write('\n');
      }
      diff = this.ids.size - line;
      if (tty && diff > 0) this.out.write(`\x1b[${diff}A`);
    } else {
      this.ids = new Map();
    }
    try {
      this.display(m, hasProgress);
    } finally {
      if (m.id && tty && diff > 0) this.out.write(`\x1b[${diff}B`);
    }
  }

  private display(m: JsonMessage, hasProgress: boolean): void {
    if (m.error || m.errorDetail?.message) throw new StreamError(m.errorDetail?.message || m.error || 'unknown error');
    const tty = this.opts.tty;
    const current = m.progressDetail?.current ?? 0;
    const total = m.progressDetail?.total ?? 0;
    let endl = '';
    if (tty && !m.stream && hasProgress) {
      this.out.write(`${eraseLine}\r`);
      endl = '\r';
    } else if (hasProgress && (current > 0 || total > 0)) {
      return; // no bars without a terminal
    }
    let text = m.id ? `${m.id}: ` : '';
    if (hasProgress && tty) {
      const bar = current > 0 || total > 0 ? progressBarText({ current, total }, this.opts.width ?? 200) : (m.progress ?? '');
      text += `${m.status ?? ''} ${bar}${this.speed(m, current, total)}${endl}`;
    } else if (m.stream) {
      text += `${m.stream}${endl}`;
    } else {
      text += `${m.status ?? ''}${endl}\n`;
    }
    this.out.write(text);
  }

  /** `  3.1MB/s` once a transfer has run for half a second; nothing before or after it ends. */
  private speed(m: JsonMessage, current: number, total: number): string {
    if (!m.id || current <= 0 || total <= 0) return '';
    const key = `${m.id} ${m.status ?? ''}`;
    const t = this.now();
    const first = this.started.get(key);
    if (!first) {
      this.started.set(key, { at: t, current });
      return '';
    }
    const seconds = (t - first.at) / 1000;
    if (seconds < 0.5 || current >= total) return '';
    return `  ${humanSize((current - first.current) / seconds)}/s`;
  }
}

/** Renders every message of a stream; rejects with the stream's error message if there is one. */
export async function renderProgress(messages: AsyncIterable<JsonMessage>, out: OutputStream, opts: RendererOptions, onAux?: (aux: unknown) => void): Promise<void> {
  const r = new ProgressRenderer(out, opts);
  for await (const m of messages) {
    if (m.aux !== undefined) onAux?.(m.aux);
    r.render(m);
  }
}
