/**
 * Every external program the runtime calls (runc, ps) goes through a CommandRunner, so tests can
 * record and fake the calls and the daemon can log them in one place.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandRunner {
  run(file: string, args: readonly string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CommandResult>;
}

export class ExecFileRunner implements CommandRunner {
  run(file: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      execFile(
        file,
        args as string[],
        { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
            reject(err); // the program could not be started at all (ENOENT, EACCES)
            return;
          }
          const code = err ? ((err as { code?: number }).code ?? 1) : 0;
          resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
        },
      );
    });
  }
}

/** A fake for unit tests: answers from a script and records every call. */
export class RecordingRunner implements CommandRunner {
  readonly calls: Array<{ file: string; args: readonly string[] }> = [];
  constructor(private readonly answer: (file: string, args: readonly string[]) => CommandResult = () => ({ code: 0, stdout: '', stderr: '' })) {}
  async run(file: string, args: readonly string[]): Promise<CommandResult> {
    this.calls.push({ file, args });
    return this.answer(file, args);
  }
}
