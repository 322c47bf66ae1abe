/**
 * Reads the log conmon writes for a container (the "k8s-file" format):
 *   `<RFC3339Nano time> <stdout|stderr> <F|P> <bytes>\n`
 * F ends a line, P is a fragment whose newline had not arrived (long lines, prompts, a last line
 * without newline). Bytes are kept raw: container output need not be UTF-8.
 */
import { open, stat } from 'node:fs/promises';
import { watch } from 'node:fs';
import { formatNs, parseRfc3339Ns } from '../util/time.js';

export interface LogRecord {
  readonly stream: 'stdout' | 'stderr';
  /** Docker's RFC3339Nano form in UTC, e.g. `2024-05-01T10:00:00.123456789Z`. */
  readonly timestamp: string;
  readonly timeNs: bigint;
  /** The output bytes, with the newline for a full (F) line. */
  readonly data: Buffer;
}

const space = 0x20;

/** Converts conmon's timestamp (any offset) to Docker's UTC RFC3339Nano with trailing zeros trimmed. */
export function toDockerTimestamp(ts: string): { timestamp: string; timeNs: bigint } | null {
  const timeNs = parseRfc3339Ns(ts);
  return timeNs === null ? null : { timestamp: formatNs(timeNs), timeNs };
}

/** Parses one line (without its trailing newline). Returns null for a malformed line. */
export function parseLogLine(line: Buffer): LogRecord | null {
  const s1 = line.indexOf(space);
  if (s1 < 0) return null;
  const s2 = line.indexOf(space, s1 + 1);
  if (s2 < 0) return null;
  const s3 = line.indexOf(space, s2 + 1);
  const tag = line.subarray(s2 + 1, s3 < 0 ? line.length : s3).toString('latin1');
  if (tag !== 'F' && tag !== 'P') return null;
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  const ts = toDockerTimestamp(line.subarray(0, s1).toString('latin1'));
  if (!ts) return null;
  const body = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  const data = tag === 'F' ? Buffer.concat([body, Buffer.from('\n')]) : Buffer.from(body);
  return { stream, timestamp: ts.timestamp, timeNs: ts.timeNs, data };
}

export interface ReadLogOptions {
  readonly follow: boolean;
  /** Only records at or after this time (ns since the epoch). */
  readonly sinceNs?: bigint;
  /** Only records before or at this time. */
  readonly untilNs?: bigint;
  /** The last N records of what exists now (-1 or undefined: all). */
  readonly tail?: number;
  /** Resolves when following should stop (the container stopped); remaining bytes are drained first. */
  readonly stopped?: Promise<void>;
  readonly signal?: AbortSignal;
}

/** Streams log records to `emit`. Returns when done (or aborted). */
export async function readContainerLog(path: string, opts: ReadLogOptions, emit: (r: LogRecord) => void): Promise<void> {
  let offset = 0;
  let carry = Buffer.alloc(0);
  const accept = (r: LogRecord) =>
    (opts.sinceNs === undefined || r.timeNs >= opts.sinceNs) && (opts.untilNs === undefined || r.timeNs <= opts.untilNs);

  const readMore = async (): Promise<LogRecord[]> => {
    const fh = await open(path, 'r').catch(() => null);
    if (!fh) return [];
    try {
      const { size } = await fh.stat();
      if (size < offset) offset = 0; // truncated or rotated
      if (size === offset) return [];
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      const all = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      const out: LogRecord[] = [];
      let start = 0;
      let nl: number;
      while ((nl = all.indexOf(0x0a, start)) >= 0) {
        const rec = parseLogLine(all.subarray(start, nl));
        if (rec && accept(rec)) out.push(rec);
        start = nl + 1;
      }
      carry = Buffer.from(all.subarray(start));
      return out;
    } finally {
      await fh.close();
    }
  };

  let first = await readMore();
  if (opts.tail !== undefined && opts.tail >= 0) first = opts.tail === 0 ? [] : first.slice(-opts.tail);
  for (const r of first) emit(r);
  if (!opts.follow || opts.signal?.aborted) return;

  await new Promise<void>((resolve) => {
    let done = false;
    let reading = false;
    let again = false;
    const finish = () => {
      if (done) return;
      done = true;
      watcher?.close();
      clearInterval(timer);
      resolve();
    };
    const pump = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          for (const r of await readMore()) {
            if (opts.untilNs !== undefined && r.timeNs > opts.untilNs) {
              finish();
              return;
            }
            emit(r);
          }
        } while (again);
      } finally {
        reading = false;
      }
    };
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(path, () => void pump());
      watcher.on('error', () => {});
    } catch {
      watcher = undefined; // the file does not exist yet: the poll picks it up
    }
    const timer = setInterval(() => void pump(), 250);
    opts.signal?.addEventListener('abort', finish, { once: true });
    opts.stopped?.then(async () => {
      await pump();
      finish();
    });
    void pump();
  });
}

export async function logSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
