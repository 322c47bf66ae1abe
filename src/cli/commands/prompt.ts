/** docker's Confirm prompt: `MESSAGE [y/N] `, yes only for y or Y. */
import type { CliContext } from '../context.js';

export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  ctx.stdout.write(`${message} [y/N] `);
  const line = await readLine(ctx);
  return line.trim() === 'y' || line.trim() === 'Y';
}

function readLine(ctx: CliContext): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const stdin = ctx.stdin;
    const done = () => {
      stdin.off('data', onData);
      stdin.off('end', done);
      stdin.off('error', done);
      stdin.pause();
      resolve(buf.split('\n')[0] ?? '');
    };
    const onData = (c: Buffer | string) => {
      buf += c.toString();
      if (buf.includes('\n')) done();
    };
    stdin.on('data', onData);
    stdin.on('end', done);
    stdin.on('error', done);
    stdin.resume();
  });
}
