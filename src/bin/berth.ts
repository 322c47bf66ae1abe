/**
 * The `berth` CLI entry point. Kept small: the command bodies, the API client and the template
 * engine load only when a command needs them.
 */
import { main } from '../cli/main.js';
import type { SignalName } from '../cli/context.js';

// A reader that went away (`berth logs x | head -1`): leave quietly, as a Go program dies of SIGPIPE.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  version: async () => (await import('./version.js')).berthVersion,
  onSignal: (sig: SignalName, handler: () => void) => {
    process.on(sig, handler);
    return () => process.off(sig, handler);
  },
  ...(process.stdin.isTTY
    ? {
        setRawTerminal: (raw: boolean) => {
          process.stdin.setRawMode(raw);
          // libuv's raw mode keeps output processing (\n → \r\n); docker's does not.
          if (raw) process.getBuiltinModule?.('node:child_process')?.spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
        },
      }
    : {}),
  onResize: (handler: () => void) => {
    process.stdout.on('resize', handler);
    return () => process.stdout.off('resize', handler);
  },
});

// Let pending output drain, then leave (open sockets or stdin must not keep the process alive).
const drain = (s: NodeJS.WriteStream) => new Promise<void>((r) => (s.writableNeedDrain ? s.once('drain', () => r()) : r()));
await Promise.all([drain(process.stdout), drain(process.stderr)]);
process.exit(code);
