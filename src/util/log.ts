/**
 * One structured logger: JSON lines on stderr, one object per event. Children carry context
 * (container id, digest, request id) so every line can be traced without string parsing.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

export class Logger {
  private constructor(
    private readonly sink: LogSink,
    private readonly minRank: number,
    private readonly context: Readonly<Record<string, unknown>>,
  ) {}

  static create(options: { level?: LogLevel; sink?: LogSink } = {}): Logger {
    const sink = options.sink ?? { write: (line: string) => process.stderr.write(line) };
    return new Logger(sink, levelRank[options.level ?? 'info'], {});
  }

  /** A logger that drops everything: for tests and library use without a daemon. */
  static silent(): Logger {
    return new Logger({ write: () => {} }, Number.POSITIVE_INFINITY, {});
  }

  child(context: Record<string, unknown>): Logger {
    return new Logger(this.sink, this.minRank, { ...this.context, ...context });
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit('error', msg, fields);
  }

  private emit(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (levelRank[level] < this.minRank) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...this.context };
    if (fields) {
      for (const [k, v] of Object.entries(fields)) record[k] = v instanceof Error ? v.message : v;
    }
    this.sink.write(JSON.stringify(record) + '\n');
  }
}
