/**
 * Drives a command under a pseudo-terminal, as a person at a terminal would: util-linux `script`
 * gives it a pty, we type into it and wait for what it prints. The terminal size is set with
 * `stty` first, so a test can check that it reaches the container.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PtyOptions {
  rows?: number;
  cols?: number;
  env?: NodeJS.ProcessEnv;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class PtySession {
  private out = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number>;

  constructor(argv: string[], opts: PtyOptions = {}) {
    const inner = `stty rows ${opts.rows ?? 24} cols ${opts.cols ?? 80}; exec ${argv.map(shellQuote).join(' ')}`;
    // -e: script exits with the child's status; -f: flush output at once; -q: no banners.
    this.child = spawn('script', ['-qfec', inner, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    this.child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      this.out += text;
      // Answer a cursor position query as a terminal does: busybox's shell asks after each
      // prompt and would take what we type next for the answer.
      if (text.includes('\x1b[6n')) this.child.stdin!.write('\x1b[24;3R');
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  }

  get output(): string {
    return this.out;
  }

  type(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Waits until the output (from `from` on) matches `re`; returns the match. */
  async expect(re: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.out.slice(from).match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in terminal output:\n${JSON.stringify(this.out)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
