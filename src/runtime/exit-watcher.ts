/**
 * Watches conmon's exit directory. conmon writes `<exitDir>/<container id>` (via rename, so the
 * file appears complete) after the container's last output is flushed. Each file is reported
 * once, then deleted; the durable copy of the code stays in the bundle (`<bundle>/exit`).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Logger } from '../util/log.js';

export interface ExitEvent {
  readonly id: string;
  readonly exitCode: number;
}

/** Parses conmon's exit file: a decimal status; -1 means conmon could not tell. */
export function parseExitFile(text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  return Number(t);
}

export async function readExitCode(bundle: string): Promise<number | null> {
  try {
    return parseExitFile(await readFile(join(bundle, 'exit'), 'utf8'));
  } catch {
    return null;
  }
}

export async function wasOomKilled(bundle: string): Promise<boolean> {
  try {
    await readFile(join(bundle, 'oom'));
    return true;
  } catch {
    return false;
  }
}

/** Exit files are named after the container: 64 lowercase hex digits. */
const containerIdPattern = /^[0-9a-f]{64}$/;

export class ExitWatcher extends EventEmitter<{ exit: [ExitEvent] }> {
  private watcher: FSWatcher | undefined;
  private readonly seen = new Set<string>();
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Starts watching, then reports exit files already present (written while berthd was down). */
  async start(): Promise<void> {
    this.watcher = watch(this.dir, (_event, filename) => {
      if (filename) void this.check(filename.toString());
    });
    this.watcher.on('error', (err) => this.log.error('exit watcher failed', { err }));
    await this.scan();
    // inotify does not lose events, but a rename racing the watch set-up could; a slow sweep
    // costs one readdir every few seconds.
    this.poll = setInterval(() => void this.scan(), 5000);
    this.poll.unref();
  }

  async scan(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(names.map((n) => this.check(n)));
  }

  private async check(name: string): Promise<void> {
    // conmon writes `<id>` with g_file_set_contents: first a temp file `<id>.XXXXXX`, then a
    // rename. Only a full container id is an exit file; taking the temp file would delete it
    // before the rename and lose the exit.
    if (!containerIdPattern.test(name) || this.seen.has(name)) return;
    let text: string;
    try {
      text = await readFile(join(this.dir, name), 'utf8');
    } catch {
      return; // not there (yet): the rename event will come
    }
    const code = parseExitFile(text);
    if (code === null) return;
    if (this.seen.has(name)) return;
    this.seen.add(name);
    await rm(join(this.dir, name), { force: true });
    this.seen.delete(name);
    this.emit('exit', { id: name, exitCode: code });
  }

  /** Forgets an exit file left from an earlier run before the container starts again. */
  async clear(id: string): Promise<void> {
    await rm(join(this.dir, id), { force: true });
  }

  stop(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
  }
}
